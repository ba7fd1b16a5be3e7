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
from typing import Any

from fastapi import Request

from minutes_qa.contract import AskResponse, ErrorResponse, FeedbackReceipt, FeedbackRequest
from minutes_qa.index.backend import StoreReader
from minutes_qa.settings import Settings

from .errors import ApiError
from .feedback_store import (
    FeedbackStore,
    FeedbackUnavailable,
    RatedAnswer,
    answer_id,
    feedback_db_path,
    verified_generation,
)

log = logging.getLogger("minutes.server")

# Buckets kept before full (idle) ones are dropped: bounds memory under many addresses.
_MAX_BUCKETS = 10_000

FEEDBACK_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse, "description": "Malformed feedback, an oversized comment, or an unknown answer."},
    429: {"model": ErrorResponse, "description": "Too much feedback from this address; Retry-After says when to retry."},
    503: {"model": ErrorResponse, "description": "The feedback database cannot be written."},
}


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

    def record(self, body: FeedbackRequest, reader: StoreReader) -> FeedbackReceipt:
        """Check ``body`` (its question and comment already checked by its model) against its answer
        id and store it."""
        rated = _rated(body)
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
            feedback_id = store.add(body.answer_id, generation, rated, files, body.rating, body.comment)
        except FeedbackUnavailable as error:
            log.error("Feedback refused: %s", error)
            raise ApiError(503, "Feedback cannot be stored right now; the server log says why.") from None
        return FeedbackReceipt(id=feedback_id, answer_id=body.answer_id, rating=body.rating)


def _rated(body: FeedbackRequest) -> RatedAnswer:
    """The answer ``body`` rates, as its answer id was computed over."""
    return RatedAnswer(
        question=body.question, interpreted_as=body.interpreted_as or body.question, answer=body.answer,
        citations=tuple(body.citations), passages=tuple(body.passages),
    )


def _file_of(reader: StoreReader, passage_id: str) -> str | None:
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
