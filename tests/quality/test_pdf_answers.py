"""Answers over real published PDF minutes read as prose, and reach the floors of the answers issue.

Every question of ``eval/pdf_questions.jsonl`` is asked of an index of the 11 real PDFs in
``../shared/corpus/pdf`` (with the seeds and dev corpora beside them, as the harness runs it).
No quoted sentence may end where a line of the PDF happened to break mid-phrase.
"""

from __future__ import annotations

import json
import re

import pytest

from minutes_qa.contract import AskResponse
from minutes_qa.eval.metrics import direct_answer_judgement
from minutes_qa.eval.questions import load_questions
from minutes_qa.index.embedding import Embedder
from minutes_qa.index.ingest import ingest
from minutes_qa.rag.engine import Engine
from minutes_qa.settings import Settings
from support import REPO, SHARED_CORPUS

PDF_QUESTIONS = REPO / "eval" / "pdf_questions.jsonl"
ASK_K = 10
# Just under the figures measured with the harness (README, Quality): hit@1 0.917, citation precision
# 0.860 (above the answers issue's 0.85 since issue 12), answered 0.944, direct answers holding a
# keyword 0.562 (0.235 before a figure was tied to its own clause and a holder to the office asked).
FLOORS = {"hit@1": 0.90, "citation precision": 0.85, "answered": 0.93, "direct answers holding the fact": 0.55}


@pytest.fixture(scope="module")
def pdf_engine(tmp_path_factory: pytest.TempPathFactory, settings: Settings, embedder: Embedder) -> Engine:
    assert (SHARED_CORPUS / "pdf").is_dir(), f"the shared real-PDF corpus is not at {SHARED_CORPUS / 'pdf'}"
    index_dir = tmp_path_factory.mktemp("pdf-index")
    ingest([SHARED_CORPUS / "seeds", SHARED_CORPUS / "dev", SHARED_CORPUS / "pdf"], index_dir, settings,
           progress=False, embedder=embedder)
    return Engine.open(index_dir, settings)


@pytest.fixture(scope="module")
def pdf_answers(pdf_engine: Engine) -> list[tuple[dict, AskResponse]]:
    records = [json.loads(line) for line in PDF_QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(record, pdf_engine.ask(record["question"], k=ASK_K)) for record in records]


def _cut_mid_phrase(document: str, end: int) -> bool:
    """Whether a quote ending at ``end`` stops at a line break the phrase runs on across."""
    following = document[end:]
    if not following.startswith("\n"):
        return False
    rest = following.lstrip()
    return bool(rest) and rest[0].islower()


def test_no_quote_ends_mid_phrase_at_a_line_break(pdf_engine: Engine, pdf_answers: list) -> None:
    problems = []
    for record, response in pdf_answers:
        passages = {passage.id: passage for passage in response.passages}
        for citation in response.citations:
            passage = passages[citation.passage_id]
            assert citation.quote in passage.text, (record["id"], citation.quote)
            if not passage.source.file.endswith(".pdf"):
                continue
            document = pdf_engine.document(passage.source.doc_id).text
            end = passage.source.start + passage.text.index(citation.quote) + len(citation.quote)
            if _cut_mid_phrase(document, end) or re.search(r"[a-z]-$", citation.quote):
                problems.append(f"{record['id']} [{citation.n}]: {citation.quote[-60:]!r}")
    assert not problems, "\n".join(problems)


def test_pdf_questions_reach_the_floors(pdf_answers: list) -> None:
    answerable = [(record, response) for record, response in pdf_answers if record["answerable"]]
    answered = [(record, response) for record, response in answerable if not response.abstained]

    def relevant(record: dict, passage) -> bool:
        return any(
            passage.source.file == gold["file"] and " ".join(gold["quote"].split()) in " ".join(passage.text.split())
            for gold in record["gold"]
        )

    hit_at_1 = sum(relevant(record, response.passages[0]) for record, response in answerable) / len(answerable)
    precisions = []
    for record, response in answered:
        passages = {passage.id: passage for passage in response.passages}
        judged = [relevant(record, passages[citation.passage_id]) for citation in response.citations]
        precisions.append(sum(judged) / len(judged))
    questions = {question.id: question for question in load_questions([PDF_QUESTIONS])}
    judged = [direct_answer_judgement(questions[record["id"]], response)[1] for record, response in answerable]
    holding = [verdict for verdict in judged if verdict is not None]
    figures = {
        "hit@1": hit_at_1,
        "citation precision": sum(precisions) / len(precisions),
        "answered": len(answered) / len(answerable),
        "direct answers holding the fact": sum(holding) / len(holding),
    }
    assert all(figures[name] >= floor for name, floor in FLOORS.items()), figures
