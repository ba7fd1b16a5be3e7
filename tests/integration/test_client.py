"""The HTTP client (minutes_qa.client) against real sockets: a small stand-in service and a closed port.

The real service is exercised by the browser tests; here each failure the member may meet
(nothing listening, too slow, refused, broken) is produced on purpose.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from minutes_qa.client import (
    MinutesClient,
    ServiceFailed,
    ServiceRejected,
    ServiceTimeout,
    ServiceUnavailable,
)
from minutes_qa.contract import Filters, RequestLimits, Turn, request_limits

ANSWER = {
    "question": "q",
    "answer": "Cabinet, 28 July 2016: It was agreed. [1]",
    "abstained": False,
    "citations": [{"n": 1, "passage_id": "d:0001", "quote": "It was agreed."}],
    "passages": [
        {
            "id": "d:0001", "rank": 1, "score": 0.9, "text": "It was agreed.",
            "source": {"doc_id": "d", "file": "d.txt", "start": 0, "end": 14, "committee": "Cabinet",
                       "view_url": "http://127.0.0.1/documents/d/view?start=0&end=14", "new_field": 1},
        }
    ],
    "suggestions": [],
}
HEALTH = {
    "status": "ok", "model": "m", "backend": "onnx", "uploads_enabled": False, "ingesting": False,
    "index": {"generation": 1, "built_at": "2024-01-01T00:00:00", "documents": 1, "passages": 2},
}
# path -> (status, body); a body of bytes is sent as it is.
ROUTES: dict[str, tuple[int, object]] = {
    "/ask": (200, ANSWER),
    "/facets": (200, {"committees": ["Cabinet"], "councils": [], "earliest": "2016-07-28", "latest": "2018-02-13"}),
    "/documents": (200, [{"doc_id": "d", "file": "d.txt", "title": "Item", "chars": 10, "view_url": "/x"}]),
    "/health": (200, HEALTH),
}
# path -> an event the reply waits for: set by the test once its client has given up, so the
# reply is late by construction, not by a delay the client might outwait on a busy machine.
HELD: dict[str, threading.Event] = {}


class _StandIn(BaseHTTPRequestHandler):
    requests: list[tuple[str, object]] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._reply(None)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        self._reply(json.loads(self.rfile.read(length)))

    def _reply(self, body: object) -> None:
        self.requests.append((self.path, body))
        if self.path in HELD:
            HELD[self.path].wait(timeout=60)
        status, payload = ROUTES.get(self.path, (404, {"detail": "Not Found"}))
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        """Quiet: the tests assert on what matters."""


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # The timeout test's client hangs up on purpose before the late reply: expected there.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture(scope="module")
def stand_in() -> Iterator[str]:
    server = _Server(("127.0.0.1", 0), _StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture()
def routes() -> Iterator[dict[str, tuple[int, object]]]:
    saved = dict(ROUTES)
    yield ROUTES
    ROUTES.clear()
    ROUTES.update(saved)
    for held in HELD.values():
        held.set()
    HELD.clear()


def test_ask_sends_question_and_filters_and_reads_the_contract(stand_in: str) -> None:
    client = MinutesClient(stand_in, 5)

    answer = client.ask("Who agreed?", filters=Filters(committee="Cabinet"))

    assert _StandIn.requests[-1] == ("/ask", {"question": "Who agreed?", "filters": {"committee": "Cabinet"}})
    assert answer.citations[0].quote == "It was agreed." and answer.passage("d:0001") is not None
    client.ask("Unfiltered?", filters=Filters())
    assert _StandIn.requests[-1] == ("/ask", {"question": "Unfiltered?"})


def test_ask_reads_the_direct_answer_when_there_is_one(stand_in: str, routes: dict[str, tuple[int, object]]) -> None:
    client = MinutesClient(stand_in, 5)
    assert client.ask("Who agreed?").direct_answer is None  # absent, as from an older service
    routes["/ask"] = (200, {**ANSWER, "direct_answer": None})
    assert client.ask("Who agreed?").direct_answer is None

    routes["/ask"] = (200, {**ANSWER, "direct_answer": {"text": "It was agreed", "citation": 1}})
    direct = client.ask("Who agreed?").direct_answer

    assert direct is not None and (direct.text, direct.citation) == ("It was agreed", 1)


def test_facets_documents_and_health(stand_in: str, routes: dict[str, tuple[int, object]]) -> None:
    client = MinutesClient(stand_in, 5)

    assert client.facets().committees == ["Cabinet"]
    assert [doc.title for doc in client.documents()] == ["Item"]
    assert client.health().model_dump() == HEALTH
    routes["/documents"] = (200, {"documents": []})
    with pytest.raises(ServiceFailed, match="unexpected list of documents"):
        client.documents()


def test_nothing_listening_is_reported_as_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = MinutesClient(f"http://127.0.0.1:{port}", 5)

    with pytest.raises(ServiceUnavailable, match=f"not reachable at http://127.0.0.1:{port}"):
        client.ask("anything")


def test_a_slow_service_times_out_with_a_clear_message(stand_in: str, routes: dict[str, tuple[int, object]]) -> None:
    HELD["/ask"] = threading.Event()
    client = MinutesClient(stand_in, 0.3)

    with pytest.raises(ServiceTimeout, match="did not answer within 0.3 seconds"):
        client.ask("q")


def test_refusals_carry_the_services_reason(stand_in: str, routes: dict[str, tuple[int, object]]) -> None:
    client = MinutesClient(stand_in, 5)
    routes["/ask"] = (422, {"detail": "Invalid request: question: the question is empty."})
    with pytest.raises(ServiceRejected, match="the question is empty") as refused:
        client.ask(" ")
    assert refused.value.status_code == 422

    routes["/ask"] = (404, {"detail": ""})
    with pytest.raises(ServiceRejected, match="is the API URL right"):
        client.ask("q")


def test_broken_replies_are_reported_not_raised_raw(stand_in: str, routes: dict[str, tuple[int, object]]) -> None:
    client = MinutesClient(stand_in, 5)
    routes["/ask"] = (500, {"detail": "The server failed to handle this request; the server log has the details."})
    with pytest.raises(ServiceFailed, match=r"internal problem \(HTTP 500\): The server failed"):
        client.ask("q")

    routes["/ask"] = (200, b"<html>not json</html>")
    with pytest.raises(ServiceFailed, match="not JSON"):
        client.ask("q")

    routes["/ask"] = (200, {"answer": 3})
    with pytest.raises(ServiceFailed, match="unexpected shape"):
        client.ask("q")


RATED = {**ANSWER, "interpreted_as": "q", "answer_id": "3-5f2c0a9e8b7d6c5f4e3d2c1b0a998877"}


def test_feedback_sends_the_answer_back_as_it_came_with_the_rating(
    stand_in: str, routes: dict[str, tuple[int, object]]
) -> None:
    routes["/ask"] = (200, RATED)
    routes["/feedback"] = (201, {"id": 7, "answer_id": RATED["answer_id"], "rating": "down"})
    client = MinutesClient(stand_in, 5)
    answer = client.ask("q")

    receipt = client.feedback(answer, "down", "  Wrong meeting.  ")

    assert (receipt.id, receipt.rating) == (7, "down")
    assert _StandIn.requests[-1] == ("/feedback", {
        "answer_id": RATED["answer_id"], "question": "q", "interpreted_as": "q", "answer": RATED["answer"],
        "citations": RATED["citations"], "passages": ["d:0001"], "rating": "down", "comment": "Wrong meeting.",
    })
    client.feedback(answer, "up", "   ")
    assert "comment" not in _StandIn.requests[-1][1]


def test_feedback_refusals_are_plain(stand_in: str, routes: dict[str, tuple[int, object]]) -> None:
    routes["/ask"] = (200, RATED)
    client = MinutesClient(stand_in, 5)
    answer = client.ask("q")

    routes["/feedback"] = (429, {"detail": "Too much feedback from this address; try again in 12 s."})
    with pytest.raises(ServiceRejected, match="Too many ratings from here: try again in a minute.") as limited:
        client.feedback(answer, "up")
    assert limited.value.status_code == 429

    routes["/feedback"] = (422, {"detail": "This service gave no answer with that answer_id and content."})
    with pytest.raises(ServiceRejected, match="no answer with that answer_id"):
        client.feedback(answer, "up")

    sent = len(_StandIn.requests)
    with pytest.raises(ServiceRejected, match="gave it no answer id"):
        client.feedback(answer.model_copy(update={"answer_id": None}), "up")
    assert len(_StandIn.requests) == sent  # nothing sent for an answer that cannot be rated


def test_a_comment_over_the_limit_is_refused_with_the_contracts_message_before_sending(
    stand_in: str, routes: dict[str, tuple[int, object]]
) -> None:
    routes["/ask"] = (200, RATED)
    client = MinutesClient(stand_in, 5)
    answer = client.ask("q")
    sent = len(_StandIn.requests)
    limits = RequestLimits(max_question_chars=1000, max_k=50, max_history_turns=10, max_comment_chars=20)
    with (
        request_limits(limits),
        pytest.raises(ServiceRejected, match="The comment is 21 characters long; the limit is 20") as refused,
    ):
        client.feedback(answer, "down", "x" * 21)
    assert refused.value.status_code == 422
    assert len(_StandIn.requests) == sent


def test_ask_sends_the_conversation_as_history(stand_in: str) -> None:
    client = MinutesClient(stand_in, 5)
    earlier = [Turn(question="What about workforce risk?", interpreted_as="What about workforce risk?")]

    client.ask("And in 2019?", history=earlier)

    assert _StandIn.requests[-1] == ("/ask", {"question": "And in 2019?", "history": [earlier[0].model_dump()]})
