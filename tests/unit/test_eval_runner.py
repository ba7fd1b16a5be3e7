"""The runner with conversations: history passed when the read path takes it."""

from __future__ import annotations

import json
from typing import Any

import httpx

from minutes_qa.contract import AskResponse
from minutes_qa.eval.cli import history_mode
from minutes_qa.eval.questions import Question
from minutes_qa.eval.runner import HttpBackend, InProcessBackend, Turn, run_questions


class InterpretedResponse(AskResponse):
    """A response stating how the read path read the question, as follow-up support may add."""

    interpreted_as: str


def question(question_id: str, text: str, conversation: str | None = None, turn: int | None = None) -> Question:
    return Question(
        id=question_id, question=text, type="decision", answerable=turn != 3, gold=(), answer="", keywords=(),
        source="test", conversation=conversation, turn=turn, followup=bool(turn and turn > 1),
    )


QUESTIONS = [
    question("solo", "What was agreed on parking?"),
    question("c1-1", "Who chaired the board?", "c1", 1),
    question("c1-2", "Who seconded?", "c1", 2),
    question("c1-3", "When?", "c1", 3),
    question("c2-1", "What did the board decide?", "c2", 1),
]
SPANS: dict[str, tuple] = {q.id: () for q in QUESTIONS}


class StandaloneEngine:
    """An engine whose ask takes no history, as rag.engine's does today."""

    retrievers = ("hybrid", "bm25")

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []

    def ask(self, question: str, k: int | None = None, retriever: str = "hybrid") -> AskResponse:
        self.calls.append((retriever, question, None))
        return AskResponse(question=question, answer="a", abstained=False, citations=[], passages=[])


class HistoryEngine(StandaloneEngine):
    """An engine that takes history and says how it read each question."""

    def ask(
        self, question: str, k: int | None = None, retriever: str = "hybrid", history: list[Turn] | None = None
    ) -> AskResponse:
        self.calls.append((retriever, question, history))
        return InterpretedResponse(
            question=question, answer="a", abstained=False, citations=[], passages=[],
            interpreted_as=f"{question} (read in context)" if history else question,
        )

def asked(engine: StandaloneEngine, retriever: str) -> list[tuple[str, Any]]:
    """What the engine was asked under ``retriever``, without the untimed warm-up call."""
    return [(text, history) for name, text, history in engine.calls if name == retriever][1:]


def test_turns_are_asked_with_the_earlier_turns_of_their_conversation() -> None:
    engine = HistoryEngine()
    backend = InProcessBackend(engine)
    assert backend.accepts_history()
    results = run_questions(backend, QUESTIONS, SPANS, ["hybrid", "bm25"], k=5)
    assert [result.question.id for result in results["hybrid"]] == [q.id for q in QUESTIONS]
    for config in ("hybrid", "bm25"):  # each configuration builds its own history
        assert asked(engine, config) == [
            ("What was agreed on parking?", None),
            ("Who chaired the board?", []),
            ("Who seconded?", [{"question": "Who chaired the board?", "interpreted_as": "Who chaired the board?"}]),
            (
                "When?",
                [
                    {"question": "Who chaired the board?", "interpreted_as": "Who chaired the board?"},
                    {"question": "Who seconded?", "interpreted_as": "Who seconded? (read in context)"},
                ],
            ),
            ("What did the board decide?", []),
        ]


def test_turns_are_asked_standalone_without_history_or_when_the_engine_takes_none() -> None:
    engine = HistoryEngine()
    run_questions(InProcessBackend(engine), QUESTIONS, SPANS, ["hybrid"], k=5, use_history=False)
    assert all(history is None for _, history in asked(engine, "hybrid"))
    standalone = StandaloneEngine()
    backend = InProcessBackend(standalone)
    assert not backend.accepts_history()
    run_questions(backend, QUESTIONS, SPANS, ["hybrid"], k=5)
    assert [text for text, _ in asked(standalone, "hybrid")] == [q.question for q in QUESTIONS]


def test_history_mode_says_how_turns_were_asked() -> None:
    with_history, without = InProcessBackend(HistoryEngine()), InProcessBackend(StandaloneEngine())
    assert history_mode(QUESTIONS[:1], with_history, no_history=False) == "none"
    assert history_mode(QUESTIONS, with_history, no_history=True) == "off"
    assert history_mode(QUESTIONS, with_history, no_history=False) == "passed"
    assert history_mode(QUESTIONS, without, no_history=False) == "unsupported"


def service(with_history_field: bool, bodies: list[dict]) -> httpx.MockTransport:
    """A service whose /openapi.json has or lacks a history field on AskRequest; /ask bodies are kept."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/openapi.json":
            properties = {"question": {}, "k": {}} | ({"history": {}} if with_history_field else {})
            return httpx.Response(200, json={"components": {"schemas": {"AskRequest": {"properties": properties}}}})
        body = json.loads(request.content)
        bodies.append(body)
        answer = AskResponse(question=body["question"], answer="a", abstained=False, citations=[], passages=[])
        return httpx.Response(200, json=answer.model_dump())

    return httpx.MockTransport(handle)


def test_http_backend_sends_history_only_to_a_service_that_takes_it() -> None:
    bodies: list[dict] = []
    backend = HttpBackend("http://service", 5.0, transport=service(True, bodies))
    assert backend.accepts_history()
    run_questions(backend, QUESTIONS[1:3], SPANS, ["hybrid"], k=5)
    assert [body.get("history") for body in bodies[1:]] == [
        [], [{"question": "Who chaired the board?", "interpreted_as": "Who chaired the board?"}]
    ]
    bodies.clear()
    older = HttpBackend("http://service", 5.0, transport=service(False, bodies))
    assert not older.accepts_history()
    run_questions(older, QUESTIONS[1:3], SPANS, ["hybrid"], k=5)
    assert all("history" not in body for body in bodies)
