"""``POST /feedback``: thumbs up or down on an answer, checked, rate-limited and stored.

No account is needed to give feedback, so two things keep it honest: an answer id that only this
service can issue (see :mod:`server.feedback_store`), and a token bucket per client address
that bounds how fast one address can write. Client addresses are only held in memory, for the
bucket; the database keeps none.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field

from minutes_qa.index.store import IndexReader
from minutes_qa.settings import Settings
from minutes_qa.rag.contract import AskResponse, Citation

from .errors import ApiError
from .feedback_store import (
    FeedbackStore,
    FeedbackUnavailable,
    RatedAnswer,
    answer_id,
    feedback_db_path,
    verified_generation,
)
from .models import ErrorResponse

log = logging.getLogger("minutes.server")

# Bounds on what one feedback may carry, so that a body cannot be arbitrarily large.
_MAX_ANSWER_CHARS = 20_000
_MAX_ITEMS = 200
# Buckets kept before full (idle) ones are dropped: bounds memory under many addresses.
_MAX_BUCKETS = 10_000

FEEDBACK_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse, "description": "Malformed feedback, an oversized comment, or an unknown answer."},
    429: {"model": ErrorResponse, "description": "Too much feedback from this address; Retry-After says when to retry."},
    503: {"model": ErrorResponse, "description": "The feedback database cannot be written."},
}


class FeedbackRequest(BaseModel):
    """A rating of one answer, sent back with the answer exactly as ``POST /ask`` returned it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "answer_id": "3-5f2c0a9e8b7d6c5f4e3d2c1b0a998877",
                    "question": "What did the board say about workforce risk?",
                    "interpreted_as": "What did the board say about workforce risk?",
                    "answer": "The board noted that workforce shortages were the main risk [1].",
                    "citations": [{"n": 1, "passage_id": "004_9c3bc0e0b6f5359f:0002", "quote": "..."}],
                    "passages": ["004_9c3bc0e0b6f5359f:0002", "000_8587a590a89dd507:0001"],
                    "rating": "up",
                    "comment": "Exactly the minute I needed.",
                }
            ]
        },
    )

    answer_id: str = Field(max_length=64, description="The answer_id of the /ask response rated.")
    question: str = Field(description="The response's question.")
    interpreted_as: str | None = Field(None, description="The response's interpreted_as (default: the question).")
    answer: str = Field(max_length=_MAX_ANSWER_CHARS, description="The response's answer text.")
    citations: list[Citation] = Field(default_factory=list, max_length=_MAX_ITEMS, description="The response's citations.")
    passages: list[str] = Field(
        default_factory=list, max_length=_MAX_ITEMS, description="The ids of the response's passages, in order."
    )
    rating: Literal["up", "down"] = Field(description="up: a good answer; down: a bad one.")
    comment: str | None = Field(None, description="What was right or wrong (at most max_comment_chars).")

    def rated(self) -> RatedAnswer:
        return RatedAnswer(
            question=self.question, interpreted_as=self.interpreted_as or self.question, answer=self.answer,
            citations=tuple(self.citations), passages=tuple(self.passages),
        )


class FeedbackReceipt(BaseModel):
    """What ``POST /feedback`` stored."""

    id: int = Field(description="The feedback's number in the feedback database.")
    answer_id: str
    rating: Literal["up", "down"]


class TokenBucket:
    """Per-key token buckets: ``burst`` requests at once, refilled at ``per_minute``."""

    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float | None:
        """Spend one token of ``key``'s bucket: None if there was one, else seconds until there is."""
        with self._lock:
            now = self._clock()
            tokens, then = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return (1.0 - tokens) / self.rate
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > _MAX_BUCKETS:
                self._drop_full(now)
            return None

    def _drop_full(self, now: float) -> None:
        # A bucket that has refilled is the same as no bucket.
        self._buckets = {
            key: (tokens, then) for key, (tokens, then) in self._buckets.items()
            if tokens + (now - then) * self.rate < self.burst
        }


class FeedbackService:
    """The feedback store (opened at first use) and the rate limiter of one app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.limiter = TokenBucket(settings.service.feedback_per_minute, settings.service.feedback_burst)
        self._store: FeedbackStore | None = None
        self._lock = threading.Lock()

    @property
    def store(self) -> FeedbackStore:
        """The database, opened (and created) at first use. Raises :class:`FeedbackUnavailable`."""
        with self._lock:
            if self._store is None:
                self._store = FeedbackStore(feedback_db_path(self.settings))
            return self._store

    def answer_id(self, response: AskResponse, generation: int) -> str | None:
        """The id to hand out with ``response``; None (answers still flow) if feedback is unavailable."""
        try:
            key = self.store.key
        except FeedbackUnavailable as error:
            log.error("Answers are served without answer_id: %s", error)
            return None
        return answer_id(key, generation, RatedAnswer.of(response))

    def record(self, body: FeedbackRequest, reader: IndexReader) -> FeedbackReceipt:
        """Check ``body`` against its answer id and store it."""
        comment = body.comment.strip() if body.comment and body.comment.strip() else None
        if comment is not None and len(comment) > self.settings.service.max_comment_chars:
            raise ApiError(
                422, f"The comment is {len(comment):,} characters long; the limit is "
                f"{self.settings.service.max_comment_chars:,}. Shorten it and send it again.",
            )
        if not body.question.strip() or len(body.question) > self.settings.service.max_question_chars:
            raise ApiError(422, "The question must be the one /ask answered (not empty, within the question limit).")
        rated = body.rated()
        try:
            store = self.store
        except FeedbackUnavailable as error:
            log.error("Feedback refused: %s", error)
            raise ApiError(503, "Feedback cannot be stored right now; the server log says why.") from None
        generation = verified_generation(store.key, body.answer_id, rated)
        if generation is None:
            raise ApiError(
                422, "This service gave no answer with that answer_id and content. Send back the answer_id, "
                "question, interpreted_as, answer, citations and passage ids exactly as POST /ask returned them.",
            )
        files = {citation.passage_id: _file_of(reader, citation.passage_id) for citation in rated.citations}
        try:
            feedback_id = store.add(body.answer_id, generation, rated, files, body.rating, comment)
        except FeedbackUnavailable as error:
            log.error("Feedback refused: %s", error)
            raise ApiError(503, "Feedback cannot be stored right now; the server log says why.") from None
        return FeedbackReceipt(id=feedback_id, answer_id=body.answer_id, rating=body.rating)


def _file_of(reader: IndexReader, passage_id: str) -> str | None:
    """The file a passage was cut from: its id is '<doc_id>:<ordinal>[-<last ordinal>]'."""
    document = reader.documents.get(passage_id.rsplit(":", 1)[0])
    return document.file if document else None


_services_lock = threading.Lock()


def get_feedback(request: Request) -> FeedbackService:
    """The app's feedback service, made on first use (the app itself need not know about it)."""
    state = request.app.state
    with _services_lock:
        if getattr(state, "feedback", None) is None:
            state.feedback = FeedbackService(state.settings)
        return state.feedback


def limit_feedback_rate(request: Request) -> None:
    """429 once the client's address has used its bucket: before the body (already received and
    decoded by FastAPI) is validated, checked against its answer id or stored."""
    address = request.client.host if request.client else "unknown"
    wait = get_feedback(request).limiter.take(address)
    if wait is not None:
        seconds = max(1, int(wait + 0.999))
        raise ApiError(
            429, f"Too much feedback from this address; try again in {seconds} s.", headers={"Retry-After": str(seconds)}
        )
