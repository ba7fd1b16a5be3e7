"""Driving the read path: build the index, ask every question under every configuration.

Two backends hide where the answers come from, so the metric code never knows:
the engine in this process, or a running service over HTTP (``--api``).

Turns of a conversation are asked in order, each with the earlier turns as ``history``
when the backend accepts one; otherwise every turn is asked on its own.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, TypeVar, cast

import httpx

from minutes_qa.client import MinutesClient, ServiceError
from minutes_qa.contract import AskResponse, RetrieverName, Turn as ContractTurn
from minutes_qa.settings import Settings

from .metrics import QuestionResult
from .questions import Question
from .relevance import GoldSpan, gold_spans

if TYPE_CHECKING:
    from minutes_qa.index.ingest import IngestReport


Result = TypeVar("Result")


class EvalError(RuntimeError):
    """The evaluation cannot run as asked; the message says what to change."""


class Turn(TypedDict):
    """An earlier turn of a conversation, as the read path takes it in ``history``."""

    question: str
    interpreted_as: str


class Backend(Protocol):
    """Where answers come from."""

    def ask(self, question: str, k: int, retriever: str, history: list[Turn] | None = None) -> AskResponse:
        """Answer ``question`` from the top ``k`` passages of ``retriever``, after the turns in ``history``.

        ``history`` is only given when :meth:`accepts_history` is true.
        """
        ...

    def accepts_history(self) -> bool:
        """Whether :meth:`ask` can take the earlier turns of a conversation."""
        ...

    def document_texts(self, files: Iterable[str]) -> dict[str, str]:
        """The stored text of each named file that is indexed; unknown files are left out."""
        ...

    def check_retrievers(self, names: Sequence[str]) -> None:
        """Raise :class:`EvalError` if any of ``names`` cannot be asked for."""
        ...

    def close(self) -> None:
        """Release the backend's resources."""
        ...


class InProcessBackend:
    """An engine of :mod:`rag.engine` (or anything with its ``ask``) in this process."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    @classmethod
    def open(cls, index_dir: Path, settings: Settings) -> InProcessBackend:
        """The engine opened on ``index_dir``."""
        from minutes_qa.rag.engine import Engine  # see build_index: heavy imports only where needed

        return cls(Engine.open(index_dir, settings))

    def ask(self, question: str, k: int, retriever: str, history: list[Turn] | None = None) -> AskResponse:
        if history is None:
            return self.engine.ask(question, k=k, retriever=retriever)
        return self.engine.ask(question, k=k, retriever=retriever, history=history)

    def accepts_history(self) -> bool:
        return "history" in inspect.signature(self.engine.ask).parameters

    def document_texts(self, files: Iterable[str]) -> dict[str, str]:
        texts = {}
        for file in files:
            try:
                texts[file] = self.engine.document_text(file)
            except KeyError:
                continue
        return texts

    def check_retrievers(self, names: Sequence[str]) -> None:
        unknown = [name for name in names if name not in self.engine.retrievers]
        if unknown:
            raise EvalError(
                f"Unknown configuration(s) {', '.join(unknown)}: --configs takes {', '.join(self.engine.retrievers)}."
            )

    def close(self) -> None:
        self.engine.reader.close()


class HttpBackend:
    """A running minutes-qa service, reached through :class:`minutes_qa.client.MinutesClient`."""

    def __init__(self, api_url: str, timeout_seconds: float, transport: httpx.BaseTransport | None = None) -> None:
        self.api_url = api_url.rstrip("/")
        self.client = MinutesClient(self.api_url, timeout_seconds, transport=transport)

    def ask(self, question: str, k: int, retriever: str, history: list[Turn] | None = None) -> AskResponse:
        turns = None if history is None else [ContractTurn.model_validate(turn) for turn in history]
        # Not checked here: the service checks the name against the contract, and its refusal is the
        # message the harness shows for an unknown configuration (see check_retrievers).
        name = cast(RetrieverName, retriever)
        return self._call("POST /ask", lambda: self.client.ask(question, k=k, retriever=name, history=turns))

    def accepts_history(self) -> bool:
        # The service rejects unknown request fields, so only send history if its schema has it.
        schema = self._call("GET /openapi.json", self.client.openapi)
        fields = schema.get("components", {}).get("schemas", {}).get("AskRequest", {}).get("properties", {})
        return "history" in fields

    def document_texts(self, files: Iterable[str]) -> dict[str, str]:
        doc_ids = {doc.file: doc.doc_id for doc in self._call("GET /documents", self.client.documents)}
        return {
            file: self._call(f"GET /documents/{doc_ids[file]}", partial(self.client.document, doc_ids[file])).text
            for file in files if file in doc_ids
        }

    def check_retrievers(self, names: Sequence[str]) -> None:
        # The service has no listing of retrievers; an unknown name fails on the first /ask with its message.
        return None

    def close(self) -> None:
        self.client.close()

    def _call(self, what: str, call: Callable[[], Result]) -> Result:
        try:
            return call()
        except ServiceError as error:
            raise EvalError(f"{what} failed at {self.api_url}: {error}") from error


def build_index(corpus: Sequence[Path], index_dir: Path, settings: Settings, progress: bool = True) -> IngestReport:
    """Bring ``index_dir`` up to date with exactly the files under ``corpus`` and return the ingest report.

    Ingest is incremental, so an index already built from the same files is reused as
    it is; ``prune`` drops documents of folders no longer given, so every question is
    answered against this corpus and nothing else.
    """
    # Imported here: they load torch and FAISS, which --api and --compare runs never need.
    from minutes_qa.index.embedding import shared_embedder
    from minutes_qa.index.ingest import ingest

    missing = [str(folder) for folder in corpus if not Path(folder).exists()]
    if missing:
        raise EvalError(f"Corpus folder(s) not found: {', '.join(missing)}.")
    # The engine opened afterwards takes the same cached model, so it is loaded once per run.
    embedder = shared_embedder(settings.embedding)
    return ingest(list(corpus), index_dir, settings, prune=True, progress=progress, embedder=embedder)


def locate_gold(questions: Sequence[Question], backend: Backend) -> dict[str, tuple[GoldSpan, ...]]:
    """Every question's gold spans in the index's stored text, checked before any question is asked.

    Raises :class:`~eval.relevance.GoldQuoteNotFound` for the first quote or file that
    cannot be found, so a broken question set fails before a long run, not after it.
    """
    files = sorted({gold.file for question in questions for gold in question.gold})
    texts = backend.document_texts(files)
    return {question.id: gold_spans(question, texts) for question in questions}


def history_turn(question: Question, response: AskResponse) -> Turn:
    """How an answered turn enters the history of the turns after it.

    ``interpreted_as`` is the read path's own reading of the turn when the response
    states one (a follow-up made standalone), else the question as asked.
    """
    interpreted_as = getattr(response, "interpreted_as", None) or question.question
    return {"question": question.question, "interpreted_as": interpreted_as}


def run_questions(
    backend: Backend,
    questions: Sequence[Question],
    spans: dict[str, tuple[GoldSpan, ...]],
    configs: Sequence[str],
    k: int,
    on_result: Callable[[str, QuestionResult], None] | None = None,
    use_history: bool = True,
) -> dict[str, list[QuestionResult]]:
    """Ask every question under every configuration and time each call.

    One untimed call per configuration comes first, so that loading models or caches
    on first use does not land in the latency percentiles. With ``use_history`` and a
    backend that accepts it, each turn of a conversation is asked with the turns before
    it (as this configuration answered them); otherwise turns are asked on their own.
    """
    backend.check_retrievers(configs)
    with_history = use_history and any(q.conversation for q in questions) and backend.accepts_history()
    results: dict[str, list[QuestionResult]] = {}
    for config in configs:
        _ask(backend, questions[0], k, config, None)
        results[config] = []
        turns: dict[str, list[Turn]] = {}
        for question in questions:
            history = None
            if with_history and question.conversation is not None:
                history = list(turns.setdefault(question.conversation, []))
            started = time.perf_counter()
            response = _ask(backend, question, k, config, history)
            latency_ms = (time.perf_counter() - started) * 1000
            if question.conversation is not None:
                turns.setdefault(question.conversation, []).append(history_turn(question, response))
            result = QuestionResult(question, spans[question.id], response, latency_ms)
            results[config].append(result)
            if on_result is not None:
                on_result(config, result)
    return results


def _ask(backend: Backend, question: Question, k: int, config: str, history: list[Turn] | None) -> AskResponse:
    """``backend.ask``, with any failure naming the question and configuration it happened on."""
    try:
        return backend.ask(question.question, k, config, history)
    except EvalError:
        raise
    except Exception as error:
        raise EvalError(f"Question {question.id} under '{config}' failed: {error}") from error
