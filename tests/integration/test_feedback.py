"""Feedback end to end: a real uvicorn server, its SQLite store beside the index, and the CLI that
exports it as evaluation questions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from minutes_qa.cli.app import app as cli
from minutes_qa.eval.questions import parse_question
from minutes_qa.index.embedding import shared_embedder
from minutes_qa.index.ingest import ingest
from minutes_qa.index.store import current_generation
from minutes_qa.rag.engine import Engine
from minutes_qa.server.app import create_app
from minutes_qa.server.background import background_server
from minutes_qa.server.feedback_store import FeedbackStore, StoredFeedback
from minutes_qa.settings import Settings
from support import REPO

SAMPLE = REPO / "sample" / "corpus"
WORKFORCE = "What did the board say about workforce risk?"
OFF_TOPIC = "What is the capital of France?"
LATE_MINUTES = """Meeting: 12/03/2024 - Licensing Committee (Item 31)

31 Street trading in the market square

Minutes:

RESOLVED: that street trading consent be granted to the Saturday farmers' market for twelve months.
"""


@dataclass(frozen=True)
class Service:
    client: httpx.Client
    settings: Settings
    engine: Engine
    corpus: list[Path]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    root = tmp_path_factory.mktemp("feedback")
    corpus = sorted(SAMPLE.glob("*.txt"))
    settings = Settings(index_dir=root / "index", feedback_burst=1000, max_comment_chars=300)
    embedder = shared_embedder(settings.embedding)
    ingest(corpus, settings.index.index_dir, settings, progress=False, embedder=embedder)
    app = create_app(settings)
    with background_server(app) as base, httpx.Client(base_url=base, timeout=60) as client:
        yield Service(client, settings, app.state.engine, corpus)


def _ask(service: Service, question: str = WORKFORCE) -> dict:
    # The off-topic question is asked of a committee no minutes are from: an abstention for certain.
    filters = {"committee": "No Such Committee"} if question == OFF_TOPIC else None
    response = service.client.post("/ask", json={"question": question, "k": 4, "filters": filters})
    assert response.status_code == 200, response.text
    return response.json()


def _feedback(asked: dict, rating: str = "up", comment: str | None = None, **changes: object) -> dict:
    """The body a client sends: the ask response's fields, as returned, plus the rating."""
    body = {
        "answer_id": asked["answer_id"], "question": asked["question"], "interpreted_as": asked["interpreted_as"],
        "answer": asked["answer"], "citations": asked["citations"],
        "passages": [passage["id"] for passage in asked["passages"]], "rating": rating, "comment": comment,
    }
    return body | changes


def _stored(service: Service) -> list[StoredFeedback]:
    store = FeedbackStore.open_existing(service.settings.index.index_dir / "feedback.sqlite")
    try:
        return store.entries()
    finally:
        store.close()


# --- the service ----------------------------------------------------------------------------------


def test_every_answer_carries_an_answer_id_and_sources_their_reference(service: Service) -> None:
    answer = _ask(service)
    generation = service.engine.reader.manifest.generation
    assert answer["answer_id"].startswith(f"{generation}-") and len(answer["answer_id"].split("-")[1]) == 32
    assert all(passage["source"]["reference"] for passage in answer["passages"])
    assert 2 <= len(answer["suggestions"]) <= 3
    abstention = _ask(service, OFF_TOPIC)
    assert abstention["abstained"] and abstention["answer_id"]
    assert abstention["answer_id"] != answer["answer_id"]


def test_feedback_is_stored_beside_the_index_with_the_cited_files(service: Service) -> None:
    answer = _ask(service)
    response = service.client.post("/feedback", json=_feedback(answer, "up", "  Exactly the minute I needed.  "))
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["answer_id"] == answer["answer_id"] and receipt["rating"] == "up"
    stored = next(entry for entry in _stored(service) if entry.id == receipt["id"])
    assert stored.rating == "up" and stored.comment == "Exactly the minute I needed."
    assert stored.rated.question == WORKFORCE and stored.rated.answer == answer["answer"]
    assert stored.generation == service.engine.reader.manifest.generation
    files = {passage["id"]: passage["source"]["file"] for passage in answer["passages"]}
    assert stored.files == {citation["passage_id"]: files[citation["passage_id"]] for citation in answer["citations"]}
    # Beside the generations, never inside one.
    assert (service.settings.index.index_dir / "feedback.sqlite").is_file()
    assert not any(path.name == "feedback.sqlite" for path in service.settings.index.index_dir.glob("gen-*/*"))


def test_feedback_without_interpreted_as_reads_it_as_the_question(service: Service) -> None:
    answer = _ask(service)
    assert answer["interpreted_as"] == answer["question"]
    body = _feedback(answer, "down")
    del body["interpreted_as"]
    assert service.client.post("/feedback", json=body).status_code == 201


@pytest.mark.parametrize(
    "changes",
    [
        {"answer": "The board said there was no workforce risk at all [1]."},
        {"question": "What did the board say about finance?"},
        {"interpreted_as": "What did the cabinet say about workforce risk?"},
        {"citations": []},
        {"passages": []},
        {"answer_id": "1-00000000000000000000000000000000"},
        {"answer_id": "not an id"},
    ],
    ids=["answer", "question", "interpreted_as", "citations", "passages", "unknown-id", "malformed-id"],
)
def test_feedback_on_an_answer_the_service_never_gave_is_refused(service: Service, changes: dict) -> None:
    before = len(_stored(service))
    response = service.client.post("/feedback", json=_feedback(_ask(service), **changes))
    assert response.status_code == 422, response.text
    assert "no answer with that answer_id" in response.json()["detail"]
    assert len(_stored(service)) == before


def test_a_quote_altered_by_one_character_is_refused(service: Service) -> None:
    answer = _ask(service)
    citations = [dict(answer["citations"][0], quote=answer["citations"][0]["quote"] + " ")] + answer["citations"][1:]
    response = service.client.post("/feedback", json=_feedback(answer, citations=citations))
    assert response.status_code == 422


def test_oversized_comment_is_refused_and_the_limit_itself_accepted(service: Service) -> None:
    answer = _ask(service)
    limit = service.settings.service.max_comment_chars
    too_long = service.client.post("/feedback", json=_feedback(answer, "down", "x" * (limit + 1)))
    assert too_long.status_code == 422
    assert f"the limit is {limit}" in too_long.json()["detail"]
    assert service.client.post("/feedback", json=_feedback(answer, "down", "x" * limit)).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"rating": "meh"},
        {"rating": None},
        {"surprise": "field"},
        {"citations": [{"n": "one", "passage_id": "x", "quote": "y"}]},
        {"passages": "not a list"},
    ],
    ids=["rating", "no-rating", "extra-field", "citation", "passages"],
)
def test_malformed_feedback_gets_a_readable_422(service: Service, body: dict) -> None:
    response = service.client.post("/feedback", json=_feedback(_ask(service)) | body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("Invalid request:")


def test_feedback_that_is_not_json_or_lacks_fields_is_refused(service: Service) -> None:
    not_json = service.client.post("/feedback", content=b"{rating: up", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 422
    missing = service.client.post("/feedback", json={"rating": "up"})
    assert missing.status_code == 422 and "answer_id is required" in missing.json()["detail"]


def test_rate_limit_per_client_address(service: Service) -> None:
    # A second app over the same engine, allowed two at once and (practically) no refill.
    settings = service.settings.replace(feedback_burst=2, feedback_per_minute=0.001)
    with background_server(create_app(settings, service.engine)) as base, httpx.Client(base_url=base) as client:
        answer = client.post("/ask", json={"question": WORKFORCE, "k": 4}).json()
        statuses = [client.post("/feedback", json=_feedback(answer)).status_code for _ in range(2)]
        refused = client.post("/feedback", json=_feedback(answer))
        malformed = client.post("/feedback", json={"rating": "up"})
    assert statuses == [201, 201]
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "Too much feedback" in refused.json()["detail"]
    # The bucket is spent before the body is read: malformed floods are limited too.
    assert malformed.status_code == 429


def test_feedback_is_in_the_openapi_schema(service: Service) -> None:
    schema = service.client.get("/openapi.json").json()
    operation = schema["paths"]["/feedback"]["post"]
    assert {"201", "422", "429"} <= set(operation["responses"])
    components = schema["components"]["schemas"]
    assert {"answer_id", "rating", "comment", "citations", "passages"} <= set(components["FeedbackRequest"]["properties"])
    assert "answer_id" in components["AskResponse"]["properties"]
    assert "reference" in components["Source"]["properties"]


def test_feedback_survives_a_reingest(service: Service) -> None:
    old_answer = _ask(service)
    given = service.client.post("/feedback", json=_feedback(old_answer, "up", "before the re-ingest"))
    assert given.status_code == 201
    old_generation = current_generation(service.settings.index.index_dir)
    late = old_generation.parent.parent / "late-minutes.txt"
    late.write_text(LATE_MINUTES, encoding="utf-8")
    embedder = shared_embedder(service.settings.embedding)
    # Twice: the first re-ingest keeps the old generation one round, the second removes it.
    ingest([*service.corpus, late], service.settings.index.index_dir, service.settings, progress=False, embedder=embedder)
    late.write_text(LATE_MINUTES.replace("twelve", "six"), encoding="utf-8")
    ingest([*service.corpus, late], service.settings.index.index_dir, service.settings, progress=False, embedder=embedder)
    assert not old_generation.exists()
    # The service looks for a new generation at most once a second; switch now rather than wait for it.
    assert service.engine.reload()
    new_answer = _ask(service)
    assert not new_answer["answer_id"].startswith(old_answer["answer_id"].split("-")[0] + "-")
    comments = [entry.comment for entry in _stored(service)]
    assert "before the re-ingest" in comments
    # An answer given before the re-ingest can still be rated: its id names its own generation.
    late_rating = service.client.post("/feedback", json=_feedback(old_answer, "down", "rated after"))
    assert late_rating.status_code == 201
    stored = next(entry for entry in _stored(service) if entry.id == late_rating.json()["id"])
    assert stored.generation == int(old_answer["answer_id"].split("-")[0])


# --- the CLI --------------------------------------------------------------------------------------


def test_export_writes_reviewable_questions(service: Service, tmp_path: Path) -> None:
    good = _ask(service)
    assert service.client.post("/feedback", json=_feedback(good, "up")).status_code == 201
    bad = _ask(service, "Who chairs the health and wellbeing board?")
    assert service.client.post("/feedback", json=_feedback(bad, "down", "Wrong person")).status_code == 201
    abstention = _ask(service, OFF_TOPIC)
    assert service.client.post("/feedback", json=_feedback(abstention, "up")).status_code == 201
    out = tmp_path / "rated.jsonl"
    result = CliRunner().invoke(cli, ["feedback", "export", "--out", str(out), "--index", str(service.settings.index.index_dir)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(_stored(service)) and "needs review" in result.output
    assert len({line["id"] for line in lines}) == len(lines)
    assert all(line["needs_review"] is True and line["review"] for line in lines)
    texts = {path.name: path.read_text(encoding="utf-8") for path in SAMPLE.glob("*.txt")}

    good_line = next(line for line in lines if line["feedback"]["answer_id"] == good["answer_id"])
    cited_quotes = list(dict.fromkeys(citation["quote"] for citation in good["citations"]))
    assert [item["quote"] for item in good_line["gold"]] == cited_quotes
    assert all(item["quote"] in texts[item["file"]] for item in good_line["gold"])
    assert good_line["answerable"] is True and good_line["answer"] == good["answer"]
    question = parse_question(good_line, "rated.jsonl:1")  # a good answer's line loads as it is
    assert question.gold and question.question == WORKFORCE

    bad_line = next(line for line in lines if line["feedback"]["answer_id"] == bad["answer_id"])
    assert bad_line["gold"] == [] and bad_line["feedback"]["comment"] == "Wrong person"
    assert bad_line["type"] == "who"
    with pytest.raises(ValueError, match="needs at least one gold quote"):
        parse_question(bad_line, "rated.jsonl:2")  # nothing invented: it loads only once reviewed

    abstained_line = next(line for line in lines if line["feedback"]["answer_id"] == abstention["answer_id"])
    assert abstained_line["type"] == "unanswerable" and abstained_line["answerable"] is False
    assert abstained_line["gold"] == [] and abstained_line["answer"] == ""
    parse_question(abstained_line, "rated.jsonl:3")


def test_stats_counts_and_shows_comments_as_text(service: Service) -> None:
    hostile = "[bold red]loud[/] \x1b[2J\x1b[31mcleared\x07 <script>alert(1)</script>"
    assert service.client.post("/feedback", json=_feedback(_ask(service), "down", hostile)).status_code == 201
    entries = _stored(service)
    result = CliRunner().invoke(cli, ["feedback", "stats", "--index", str(service.settings.index.index_dir)])
    assert result.exit_code == 0, result.output
    up = sum(entry.rating == "up" for entry in entries)
    down = len(entries) - up
    rows = {line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:4]]
            for line in result.output.splitlines() if line.count("│") >= 4}
    assert rows["rated"] == [str(len(entries))] * 2
    assert rows["up"] == [str(up)] * 2 and rows["down"] == [str(down)] * 2
    assert rows["with a comment"][0] == str(sum(entry.comment is not None for entry in entries))
    assert "[bold red]loud[/] [2J [31mcleared <script>alert(1)</script>" in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
