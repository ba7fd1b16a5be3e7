"""The HTTP service end to end: a real uvicorn server on 127.0.0.1 driven with httpx.

One server for the module, over a small index of the sample corpus plus a hand-written
minutes file full of markup that must come back as text.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest

from minutes_qa.index.embedding import shared_embedder
from minutes_qa.index.ingest import ingest
from minutes_qa.rag.engine import Engine
from minutes_qa.rag.retrieval import RETRIEVERS
from minutes_qa.server.app import create_app
from minutes_qa.server.background import background_server
from minutes_qa.settings import Settings
from support import REPO

SAMPLE = REPO / "sample" / "corpus"
HOSTILE_TEXT = """Meeting: 05/03/2021 - Licensing Committee (Item 7)

7 Street trading consent for the Zanzibar night market

Minutes:

The objector's letter contained <script>alert(1)</script> and a link written as [markdown](javascript:alert(1)).
Members discussed the Zanzibar night market's waste arrangements & the "noise" complaints.

RESOLVED: that street trading consent be granted for twelve months.
"""
UI_ORIGIN = "http://ui.example"
# Every test runs on each store (tests/conftest.py).
EVERY_STORE = True


@dataclass(frozen=True)
class Service:
    client: httpx.Client
    base: str
    engine: Engine
    settings: Settings


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> Iterator[Service]:
    root = tmp_path_factory.mktemp("server-api")
    hostile = root / "hostile-minutes.txt"
    hostile.write_text(HOSTILE_TEXT, encoding="utf-8")
    settings = settings.replace(index_dir=root / "index", cors_origins=[UI_ORIGIN], admin_token=None, max_k=20)
    embedder = shared_embedder(settings.embedding)
    ingest([SAMPLE, hostile], settings.index.index_dir, settings, progress=False, embedder=embedder)
    app = create_app(settings)
    with background_server(app) as base, httpx.Client(base_url=base, timeout=60) as client:
        yield Service(client, base, app.state.engine, settings)


@pytest.fixture(scope="module")
def hostile_doc(service: Service) -> dict:
    return next(doc for doc in service.client.get("/documents").json() if doc["file"] == "hostile-minutes.txt")


def _without_view_urls(payload: dict) -> dict:
    for passage in payload["passages"]:
        passage["source"].pop("view_url")
    return payload


def test_health(service: Service) -> None:
    response = service.client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["model"] == service.settings.embedding.model
    assert body["index"]["documents"] == 6
    assert body["index"]["passages"] > 6
    assert body["uploads_enabled"] is False and body["ingesting"] is False


def test_search_is_the_cli_contract_plus_view_urls(service: Service) -> None:
    response = service.client.get("/search", params={"q": "workforce risk", "k": 3})
    assert response.status_code == 200
    body = response.json()
    assert len(body["passages"]) == 3
    for passage in body["passages"]:
        source = passage["source"]
        assert source["view_url"] == (
            f"{service.base}/documents/{source['doc_id']}/view?start={source['start']}&end={source['end']}#cited"
        )
    assert _without_view_urls(body) == json.loads(
        service.engine.search("workforce risk", 3).model_dump_json(exclude={"passages": {"__all__": {"source": {"view_url"}}}})
    )


def test_view_url_highlights_the_passage(service: Service) -> None:
    passage = service.client.get("/search", params={"q": "Zanzibar night market waste", "k": 1}).json()["passages"][0]
    page = service.client.get(passage["source"]["view_url"])
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'sha256-" in page.headers["content-security-policy"]
    marked = page.text.split('<mark id="cited">', 1)[1].split("</mark>", 1)[0]
    unescaped = marked.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&#x27;", "'").replace("&amp;", "&")
    assert unescaped == passage["text"]


def test_search_filters_and_retrievers(service: Service) -> None:
    for retriever in RETRIEVERS:
        response = service.client.get("/search", params={"q": "transformation plan", "committee": "cabinet", "retriever": retriever})
        assert response.status_code == 200, response.text
        passages = response.json()["passages"]
        assert passages, retriever
        assert all("cabinet" in (p["source"]["committee"] or "").lower() for p in passages)
    dated = service.client.get("/search", params={"q": "health", "since": "2021-01-01", "until": "2021-12-31"}).json()
    assert {p["source"]["file"] for p in dated["passages"]} == {"hostile-minutes.txt"}


def test_ask_is_the_cli_contract_plus_view_urls(service: Service) -> None:
    question = "What did the board say about workforce risk?"
    response = service.client.post("/ask", json={"question": question, "k": 4, "retriever": "hybrid"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body["abstained"] and body["citations"]
    assert all(p["source"]["view_url"].startswith(service.base + "/documents/") for p in body["passages"])
    assert body.pop("answer_id")  # the service's own addition, for POST /feedback
    expected = service.engine.ask(question, 4)
    assert _without_view_urls(body) == json.loads(
        expected.model_dump_json(exclude={"answer_id": True, "passages": {"__all__": {"source": {"view_url"}}}})
    )


def test_ask_with_filters_and_abstention(service: Service) -> None:
    response = service.client.post(
        "/ask",
        json={
            "question": "What was decided about the airport runway extension?",
            "filters": {"committee": "Licensing", "since": "2021-01-01"},
            "retriever": "bm25",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["abstained"] is True
    assert body["suggestions"]


def test_public_url_is_used_for_view_links(service: Service) -> None:
    settings = service.settings.replace(public_url="https://minutes.example.gov.uk/qa/")
    with background_server(create_app(settings, service.engine)) as base, httpx.Client(base_url=base) as client:
        source = client.get("/search", params={"q": "workforce", "k": 1}).json()["passages"][0]["source"]
        listed = client.get("/documents").json()[0]
    assert source["view_url"].startswith("https://minutes.example.gov.uk/qa/documents/")
    assert listed["view_url"] == f"https://minutes.example.gov.uk/qa/documents/{listed['doc_id']}/view"


BAD_REQUESTS = [
    ("GET", "/search", {"params": {"q": ""}}, 422, "empty"),
    ("GET", "/search", {"params": {"q": "   "}}, 422, "empty"),
    ("GET", "/search", {}, 422, "q is required"),
    ("GET", "/search", {"params": {"q": "x" * 1001}}, 422, "limit is 1,000"),
    ("GET", "/search", {"params": {"q": "budget", "k": 0}}, 422, "between 1 and 20"),
    ("GET", "/search", {"params": {"q": "budget", "k": 21}}, 422, "between 1 and 20"),
    ("GET", "/search", {"params": {"q": "budget", "k": "many"}}, 422, "k: Input should be a valid integer"),
    ("GET", "/search", {"params": {"q": "budget", "since": "2020-13-01"}}, 422, "since:"),
    ("GET", "/search", {"params": {"q": "budget", "until": "last week"}}, 422, "YYYY-MM-DD"),
    ("GET", "/search", {"params": {"q": "budget", "since": "2021-01-01", "until": "2020-01-01"}}, 422, "is after"),
    ("GET", "/search", {"params": {"q": "budget", "retriever": "colbert"}}, 422, "'hybrid', 'dense' or 'bm25'"),
    ("POST", "/ask", {"json": {"question": ""}}, 422, "empty"),
    ("POST", "/ask", {"json": {"question": "q" * 1001}}, 422, "limit is 1,000"),
    ("POST", "/ask", {"json": {"question": "budget", "k": 0}}, 422, "between 1 and 20"),
    ("POST", "/ask", {"json": {"question": "budget", "k": 500}}, 422, "between 1 and 20"),
    ("POST", "/ask", {"json": {"question": "budget", "filters": {"since": "13/02/2018"}}}, 422, "filters.since"),
    ("POST", "/ask", {"json": {"question": "budget", "retriever": "colbert"}}, 422, "retriever"),
    ("POST", "/ask", {"json": {"question": "budget", "filter": {}}}, 422, "filter: Extra inputs"),
    ("POST", "/ask", {"json": {}}, 422, "question is required"),
    ("POST", "/ask", {"content": b"{not json", "headers": {"content-type": "application/json"}}, 422, "not valid JSON"),
    ("POST", "/ask", {"content": b"question=budget"}, 422, "JSON object"),
    ("GET", "/documents/no-such-doc", {}, 404, "No document"),
    ("GET", "/documents/no-such-doc/view", {"params": {"start": 0, "end": 1}}, 404, "No document"),
    ("GET", "/no/such/route", {}, 404, "Not Found"),
    ("POST", "/documents", {"files": {"files": ("a.txt", b"text")}}, 403, "MINUTES_ADMIN_TOKEN"),
]


@pytest.mark.parametrize(("method", "path", "options", "status", "message"), BAD_REQUESTS)
def test_bad_input_gets_a_readable_4xx(
    service: Service, method: str, path: str, options: dict, status: int, message: str
) -> None:
    response = service.client.request(method, path, **options)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert message in detail


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": 10, "end": 5}, "less than end"),
        ({"start": -1, "end": 5}, "negative"),
        ({"start": 0, "end": 10**6}, "past the end"),
        ({"start": 3}, "both start and end"),
        ({"start": "a", "end": 5}, "start: Input should be a valid integer"),
    ],
)
def test_span_outside_the_document_is_rejected(service: Service, hostile_doc: dict, params: dict, message: str) -> None:
    response = service.client.get(f"/documents/{hostile_doc['doc_id']}/view", params=params)
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_view_of_hostile_document_renders_markup_as_text(service: Service, hostile_doc: dict) -> None:
    text = service.client.get(f"/documents/{hostile_doc['doc_id']}").json()["text"]
    start = text.index("<script>")
    end = text.index("</script>") + len("</script>")
    page = service.client.get(f"/documents/{hostile_doc['doc_id']}/view", params={"start": start, "end": end}).text
    assert '<mark id="cited">&lt;script&gt;alert(1)&lt;/script&gt;</mark>' in page
    assert "<script>alert" not in page
    assert "[markdown](javascript:alert(1))" in page
    assert 'href="javascript' not in page
    assert "<dd>Licensing Committee</dd>" in page
    assert "<dd>5 March 2021</dd>" in page


def test_documents_list_and_detail(service: Service) -> None:
    listed = service.client.get("/documents").json()
    assert len(listed) == 6
    assert [doc["file"] for doc in listed] == sorted(doc["file"] for doc in listed)
    assert set(listed[0]) == {
        "doc_id", "file", "council", "committee", "meeting_date", "title", "url", "item_number", "chars", "view_url"
    }
    detail = service.client.get(f"/documents/{listed[0]['doc_id']}").json()
    assert detail["chars"] == len(detail["text"]) == listed[0]["chars"]
    assert detail["pages"] == []
    assert detail["text"] == service.engine.document(listed[0]["doc_id"]).text


def test_facets(service: Service) -> None:
    facets = service.client.get("/facets").json()
    assert "Licensing Committee" in facets["committees"]
    assert "Health and Wellbeing Board" in facets["committees"]
    assert facets["earliest"] <= facets["latest"] == "2021-03-05"


def test_cors_allows_the_configured_origin_only(service: Service) -> None:
    preflight = {"Origin": UI_ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    allowed = service.client.options("/ask", headers=preflight)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == UI_ORIGIN
    other = service.client.get("/health", headers={"Origin": "http://elsewhere.example"})
    assert "access-control-allow-origin" not in other.headers


def test_access_log_is_one_json_line_per_request(service: Service, caplog: pytest.LogCaptureFixture) -> None:
    def access_records() -> list[dict]:
        return [json.loads(record.getMessage()) for record in caplog.records if record.name == "minutes.access"]

    with caplog.at_level(logging.INFO, logger="minutes.access"):
        service.client.get("/facets")
        service.client.get("/documents/missing")
        # The line is written once the response has been sent, so it may trail the client a little.
        deadline = time.monotonic() + 5
        while len(access_records()) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    records = access_records()
    assert [(r["method"], r["path"], r["status"]) for r in records] == [
        ("GET", "/facets", 200), ("GET", "/documents/missing", 404)
    ]
    assert all(isinstance(r["ms"], float) and r["ms"] >= 0 for r in records)


def test_concurrent_requests_all_succeed(service: Service) -> None:
    queries = ["workforce", "budget", "health and wellbeing", "transformation", "Zanzibar", "care strategy"] * 2

    def run(query: str) -> int:
        return service.client.get("/search", params={"q": query, "k": 3}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(run, queries)) == [200] * len(queries)


def test_openapi_describes_the_models(service: Service) -> None:
    spec = service.client.get("/openapi.json").json()
    assert {"/health", "/ask", "/search", "/documents", "/documents/{doc_id}", "/documents/{doc_id}/view", "/facets"} <= set(spec["paths"])
    schemas = spec["components"]["schemas"]
    assert {"AskRequest", "AskResponse", "SearchResponse", "Source", "Filters", "DocumentSummary", "IngestResult"} <= set(schemas)
    assert "multipart/form-data" in spec["paths"]["/documents"]["post"]["requestBody"]["content"]
    docs = service.client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_docs_page_needs_no_network(service: Service) -> None:
    docs = service.client.get("/docs").text
    assert "https://" not in docs
    asset = docs.split('<script src="', 1)[1].split('"', 1)[0]
    assert service.client.get(asset).status_code == 200
