"""Follow-ups through the engine and the HTTP service, over the shared corpus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from minutes_qa.contract import Turn
from minutes_qa.rag.engine import Engine
from minutes_qa.server.app import create_app
from minutes_qa.server.background import background_server
from minutes_qa.settings import Settings

HEREFORDSHIRE = "What did Herefordshire's Cabinet hear about the sustainability and transformation plan?"
HEREFORDSHIRE_STP = "003_f76c7aff191b9b00.txt"
HAMMERSMITH_AND_FULHAM_STP = "002_af4d3177b1c7e455.txt"
BETTER_CARE_FUND = "How much is Herefordshire putting into its better care fund for 2019/20?"


def test_what_about_another_council_retrieves_that_councils_minutes(corpus_engine: Engine) -> None:
    first = corpus_engine.ask(HEREFORDSHIRE)
    assert first.interpreted_as == HEREFORDSHIRE
    assert first.passages[0].source.file == HEREFORDSHIRE_STP
    history = [Turn(question=first.question, interpreted_as=first.interpreted_as)]

    followup = corpus_engine.ask("What about Hammersmith and Fulham?", history=history)

    assert followup.question == "What about Hammersmith and Fulham?"
    assert followup.interpreted_as == (
        "What did Hammersmith and Fulham's Cabinet hear about the sustainability and transformation plan?"
    )
    # Hammersmith and Fulham's health and wellbeing board on place-based care and the STPs.
    assert followup.passages[0].source.file == HAMMERSMITH_AND_FULHAM_STP
    assert "sustainability and transformation plans" in followup.passages[0].text


def test_history_longer_than_the_setting_is_refused(corpus_engine: Engine) -> None:
    turns = [Turn(question="Why?", interpreted_as="Why?")] * (corpus_engine.settings.retrieval.max_history_turns + 1)
    with pytest.raises(ValueError, match="the limit is"):
        corpus_engine.ask("Who proposed it?", history=turns)


@pytest.fixture(scope="module")
def client(corpus_index: Path, corpus_engine: Engine) -> Iterator[httpx.Client]:
    settings = Settings(index_dir=corpus_index, max_history_turns=4)
    with background_server(create_app(settings, corpus_engine)) as base, httpx.Client(base_url=base, timeout=60) as http:
        yield http


def test_ask_with_history_answers_the_standalone_question(client: httpx.Client) -> None:
    history = [{"question": BETTER_CARE_FUND, "interpreted_as": BETTER_CARE_FUND}]
    response = client.post("/ask", json={"question": "And Bracknell Forest's contribution?", "history": history})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["question"] == "And Bracknell Forest's contribution?"
    assert body["interpreted_as"] == "How much is Bracknell Forest putting into its better care fund for 2019/20?"
    plain = client.post("/ask", json={"question": BETTER_CARE_FUND}).json()
    assert plain["interpreted_as"] == BETTER_CARE_FUND


TURN = {"question": "Why?", "interpreted_as": "Why?"}


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ([TURN] * 5, "history has 5 turns; the limit is 4"),
        ([{"question": "Why?"}], "history.0.interpreted_as is required"),
        ([{"question": "", "interpreted_as": "Why?"}], "history.0.question"),
        ([{"question": "Why?", "interpreted_as": "   "}], "must not be blank"),
        ([{"question": "Why?", "interpreted_as": "x" * 2001}], "history.0.interpreted_as"),
        ("Why?", "history: Input should be a valid list"),
        ([["Why?", "Why?"]], "history.0"),
    ],
)
def test_bad_history_gets_a_readable_422(client: httpx.Client, history: object, message: str) -> None:
    response = client.post("/ask", json={"question": "Who proposed it?", "history": history})
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]


def test_openapi_shows_history_and_interpreted_as(client: httpx.Client) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert "history" in schemas["AskRequest"]["properties"]
    assert set(schemas["Turn"]["required"]) == {"question", "interpreted_as"}
    assert "interpreted_as" in schemas["AskResponse"]["properties"]
