"""Helpers shared by test files of every tier: where the corpora are, and small builders.

A plain module (imported as ``from support import ...``; tests/ is on pytest's pythonpath), not a
conftest: conftest files hold fixtures only. Importing it loads no model and builds no index.
"""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from minutes_qa.contract import AskResponse, Citation, DirectAnswer, Passage, Source
from minutes_qa.eval.metrics import QuestionResult
from minutes_qa.eval.questions import GoldQuote, Question
from minutes_qa.eval.relevance import GoldSpan
from minutes_qa.index.backend import Store, open_store
from minutes_qa.rag.engine import Engine
from minutes_qa.settings import Settings, get_settings

REPO = Path(__file__).resolve().parents[1]
SAMPLE_CORPUS = REPO / "sample" / "corpus"
# The shared corpora and question sets sit beside the repository, as ../shared.
SHARED = REPO.parent / "shared"
SHARED_CORPUS = SHARED / "corpus"
SHARED_EVAL = SHARED / "eval"


# The stores that the read-path and write-path test modules run against: a module that sets
# ``EVERY_STORE = True`` has each of its tests that uses ``settings`` run once per store (conftest.py).
# milvus-lite keeps its data inside each test's index directory.
STORES = ("faiss", "milvus-lite")


def store_of(index_dir: Path, settings: Settings) -> Store:
    """The store that ``settings`` choose for the index at ``index_dir``."""
    return open_store(index_dir, settings.index.store)


@contextmanager
def store_in_environment(settings: Settings) -> Iterator[dict[str, str]]:
    """``MINUTES_STORE`` of ``settings`` for commands run here (the CLI reads the environment) or in children;
    yields the environment for children. The CLI's settings cache is cleared on the way in and out."""
    previous = os.environ.get("MINUTES_STORE")
    os.environ["MINUTES_STORE"] = settings.index.store
    get_settings.cache_clear()
    try:
        yield dict(os.environ)
    finally:
        if previous is None:
            del os.environ["MINUTES_STORE"]
        else:
            os.environ["MINUTES_STORE"] = previous
        get_settings.cache_clear()


@contextmanager
def sigint_for_children(ignored: bool = False) -> Iterator[None]:
    """Processes started inside get SIGINT as a terminal's foreground job has it (Ctrl-C stops them)
    or, with ``ignored``, as a shell's background job has it (ignored).

    A test run started as a background job (``make test &``, some CI runners) ignores SIGINT, and
    an ignored signal stays ignored across exec, whereas a handled one is reset to its default:
    without this, a test that sends SIGINT to a child would pass or fail by how pytest was started.
    """
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN if ignored else signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)


# Answers to the shared questions: asked once per session, so that the answer checks
# (quality/test_answers.py) and the quality floors (quality/test_quality_regression.py) score the same responses.

# Passages retrieved per question: what `minutes eval` uses by default.
ASK_K = 10
_ANSWERS: dict[tuple[int, str], AskResponse] = {}


def ask_cached(engine: Engine, question: str) -> AskResponse:
    """``engine.ask(question, k=ASK_K)``, asked once per engine and question in a session."""
    key = (id(engine), question)
    if key not in _ANSWERS:
        _ANSWERS[key] = engine.ask(question, k=ASK_K)
    return _ANSWERS[key]


# Tiny hand-made eval runs whose figures are known exactly (the eval metric, report and calibration tests).

# Gold quotes live in "a.txt" at [100, 200) and [300, 400); anything in "z.txt" is irrelevant.
GOLD_A = GoldSpan(0, "a.txt", 100, 200)
GOLD_B = GoldSpan(1, "a.txt", 300, 400)
HIT_A = ("a.txt", 90, 150)
HIT_B = ("a.txt", 350, 450)
HIT_AB = ("a.txt", 150, 350)
MISS = ("z.txt", 0, 100)


def make_question(
    question_id: str, gold_count: int, type_: str = "factoid", keywords: tuple[str, ...] = ()
) -> Question:
    """A question with ``gold_count`` gold quotes in "a.txt" (none: unanswerable)."""
    answerable = gold_count > 0
    return Question(
        id=question_id,
        question=f"question {question_id}",
        type=type_ if answerable else "unanswerable",
        answerable=answerable,
        gold=tuple(GoldQuote("a.txt", f"quote {index}") for index in range(gold_count)),
        answer="",
        keywords=keywords,
        source=f"test.jsonl:{question_id}",
    )


def make_result(
    question: Question,
    ranking: list[tuple[str, int, int]],
    cited: list[int] = (),
    answer: str = "an answer",
    abstained: bool = False,
    latency_ms: float = 10.0,
    passage_ids: list[str] | None = None,
    direct: str | None = None,
) -> QuestionResult:
    """A result whose passages are ``ranking`` in order and whose citations point at ranks ``cited`` (1-based).

    ``direct`` is the text of a direct answer quoted from citation [1].
    """
    ids = passage_ids or [f"p{rank}" for rank in range(1, len(ranking) + 1)]
    passages = [
        Passage(
            id=ids[rank - 1],
            rank=rank,
            score=1.0 / rank,
            text="text",
            source=Source(doc_id=file, file=file, start=start, end=end),
        )
        for rank, (file, start, end) in enumerate(ranking, start=1)
    ]
    citations = [
        Citation(n=n, passage_id=ids[rank - 1] if rank > 0 else "unknown", quote="q")
        for n, rank in enumerate(cited, start=1)
    ]
    spans = (GOLD_A, GOLD_B)[: len(question.gold)]
    response = AskResponse(
        question=question.question,
        answer=answer,
        abstained=abstained,
        direct_answer=DirectAnswer(text=direct, citation=1) if direct is not None else None,
        citations=citations,
        passages=passages,
    )
    return QuestionResult(question=question, spans=spans, response=response, latency_ms=latency_ms)


def free_port() -> int:
    """A loopback port nothing listens on now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
