"""The harness's HTTP backend against a stand-in transport: the same metrics, and a clear error when unreachable."""

from __future__ import annotations

import json

import httpx
import pytest

from minutes_qa.contract import AskResponse, Citation, Passage, Source
from minutes_qa.eval.metrics import score_config
from minutes_qa.eval.questions import GoldQuote, Question
from minutes_qa.eval.runner import EvalError, HttpBackend, locate_gold, run_questions

DOCUMENT = "Item 1. The board agreed the budget. Item 2. Any other business."


def fake_service(request: httpx.Request) -> httpx.Response:
    """A stand-in for the minutes-qa service: one document, one passage per retriever."""
    if request.method == "GET" and request.url.path == "/documents":
        return httpx.Response(
            200, json=[{"doc_id": "d1", "file": "a.txt", "title": None, "chars": len(DOCUMENT), "view_url": "v"}]
        )
    if request.method == "GET" and request.url.path == "/documents/d1":
        return httpx.Response(
            200, json={"doc_id": "d1", "file": "a.txt", "chars": len(DOCUMENT), "view_url": "v", "text": DOCUMENT}
        )
    if request.method == "POST" and request.url.path == "/ask":
        body = json.loads(request.content)
        if body["retriever"] == "broken":
            return httpx.Response(422, json={"detail": "Unknown retriever 'broken'"})
        start = 0 if body["retriever"] == "hybrid" else DOCUMENT.index("Item 2.")
        end = start + 36 if body["retriever"] == "hybrid" else len(DOCUMENT)
        passage = Passage(
            id=f"c{start}", rank=1, score=0.9, text=DOCUMENT[start:end],
            source=Source(doc_id="d1", file="a.txt", start=start, end=end),
        )
        answer = AskResponse(
            question=body["question"], answer="The board agreed the budget. [1]", abstained=False,
            citations=[Citation(n=1, passage_id=passage.id, quote=passage.text)], passages=[passage],
        )
        return httpx.Response(200, json=answer.model_dump())
    return httpx.Response(404, json={"detail": "not found"})


def test_http_backend_feeds_the_same_metrics() -> None:
    backend = HttpBackend("http://service", 5.0, transport=httpx.MockTransport(fake_service))
    question = Question(
        id="h1", question="What was agreed?", type="decision", answerable=True,
        gold=(GoldQuote("a.txt", "The board agreed the budget."),), answer="", keywords=("budget",), source="x:1",
    )
    spans = locate_gold([question], backend)
    assert spans["h1"][0].start == DOCUMENT.index("The board")
    results = run_questions(backend, [question], spans, ["hybrid", "bm25"], k=5)
    hybrid, bm25 = (score_config(results[config], k=5).overall for config in ("hybrid", "bm25"))
    assert (hybrid["hit@1"], hybrid["citation_precision"], hybrid["keyword_recall"]) == (1.0, 1.0, 1.0)
    assert (bm25["hit@10"], bm25["citation_precision"]) == (0.0, 0.0)
    with pytest.raises(EvalError, match="POST /ask failed at http://service: Unknown retriever 'broken'"):
        run_questions(backend, [question], spans, ["broken"], k=5)
    backend.close()


def test_http_backend_unreachable_service_says_so() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    backend = HttpBackend("http://nowhere:1", 1.0, transport=httpx.MockTransport(refuse))
    with pytest.raises(EvalError, match="GET /documents failed at http://nowhere:1: .*not reachable"):
        backend.document_texts(["a.txt"])
