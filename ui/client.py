"""The UI's only way to the minutes: an HTTP client of the service.

It mirrors the service's JSON contract in its own models (the UI imports nothing from the
read path) and turns every transport or protocol failure into a :class:`ServiceError` whose
message a council member can act on, never a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Literal, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

# Connecting to a local service either works at once or not at all: fail fast there, and
# give the answer itself the configured (longer) time.
CONNECT_TIMEOUT_SECONDS = 5.0

Model = TypeVar("Model", bound=BaseModel)


class _Lenient(BaseModel):
    # The service may add fields over time; the UI reads only what it knows.
    model_config = ConfigDict(extra="ignore")


class Filters(_Lenient):
    """What the member restricted the question to. Unset fields do not restrict."""

    committee: str | None = None
    council: str | None = None
    since: date | None = None
    until: date | None = None

    def active(self) -> bool:
        return any(value is not None for value in self.model_dump().values())


class Source(_Lenient):
    doc_id: str
    file: str
    start: int
    end: int
    page: int | None = None
    council: str | None = None
    committee: str | None = None
    meeting_date: str | None = None
    title: str | None = None
    url: str | None = None
    reference: str | None = None  # "Committee, 13 February 2018, minute 150, Council", as staff cite it
    view_url: str | None = None


class Passage(_Lenient):
    id: str
    rank: int
    score: float
    text: str
    source: Source


class Citation(_Lenient):
    n: int
    passage_id: str
    quote: str


class DirectAnswer(_Lenient):
    """The words that answer the question, quoted from the minutes; ``citation`` is its [n]."""

    text: str
    citation: int


class Answer(_Lenient):
    """The service's reply to a question."""

    question: str
    interpreted_as: str = ""
    answer: str
    abstained: bool
    direct_answer: DirectAnswer | None = None
    citations: list[Citation] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)
    suggestions: list[str] = Field(default_factory=list)
    answer_id: str | None = None  # what POST /feedback rates; None when the service cannot take feedback

    def passage(self, passage_id: str) -> Passage | None:
        return next((passage for passage in self.passages if passage.id == passage_id), None)


Rating = Literal["up", "down"]


class FeedbackReceipt(_Lenient):
    """What the service stored for a rating."""

    id: int
    answer_id: str
    rating: Rating


class Facets(_Lenient):
    """What the loaded minutes span: the choices of the filter menus."""

    committees: list[str] = Field(default_factory=list)
    councils: list[str] = Field(default_factory=list)
    earliest: str | None = None
    latest: str | None = None


class DocumentSummary(_Lenient):
    """One ingested minutes document, without its text."""

    doc_id: str
    file: str
    council: str | None = None
    committee: str | None = None
    meeting_date: str | None = None
    title: str | None = None
    url: str | None = None


class ServiceError(Exception):
    """The service could not give an answer; ``str(error)`` is meant for the member."""


class ServiceUnavailable(ServiceError):
    """Nothing answers at the service's address."""


class ServiceTimeout(ServiceError):
    """The service took longer than the configured time."""


class ServiceRejected(ServiceError):
    """The service refused the request (4xx); the message carries its reason."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class ServiceFailed(ServiceError):
    """The service failed (5xx) or replied with something that is not its contract."""


class MinutesClient:
    """Typed calls to the minutes service at ``base_url``."""

    def __init__(self, base_url: str, timeout_seconds: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds
        timeout = httpx.Timeout(timeout_seconds, connect=min(CONNECT_TIMEOUT_SECONDS, timeout_seconds))
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def health(self) -> dict[str, Any]:
        """The service's health report; raises :class:`ServiceError` when it is not up."""
        body = self._request("GET", "/health")
        if not isinstance(body, dict):
            raise ServiceFailed(f"The minutes service at {self.base_url} sent an unexpected health report.")
        return body

    def ask(
        self, question: str, filters: Filters | None = None, history: Sequence[Mapping[str, str]] = ()
    ) -> Answer:
        """Ask ``question`` of the minutes, restricted by ``filters``; the service picks how many passages.

        ``history`` holds the conversation's earlier turns, oldest first, each ``{"question",
        "interpreted_as"}`` as the service answered it, so that a follow-up is read in context.
        """
        payload: dict[str, Any] = {"question": question}
        if history:
            payload["history"] = [dict(turn) for turn in history]
        if filters is not None and filters.active():
            payload["filters"] = filters.model_dump(mode="json", exclude_none=True)
        return self._parse(Answer, self._request("POST", "/ask", json=payload))

    def feedback(self, answer: Answer, rating: Rating, comment: str | None = None) -> FeedbackReceipt:
        """Rate ``answer`` (thumbs ``up`` or ``down``, with an optional comment) through ``POST /feedback``.

        The service only accepts a rating of an answer it gave: the answer goes back exactly as it
        came (its id, question, reading, text, citations and passage ids). Raises
        :class:`ServiceError`; too many ratings (429) get a plain message.
        """
        if not answer.answer_id:
            raise ServiceRejected("This answer cannot be rated: the service gave it no answer id.", 422)
        payload: dict[str, Any] = {
            "answer_id": answer.answer_id,
            "question": answer.question,
            "interpreted_as": answer.interpreted_as or answer.question,
            "answer": answer.answer,
            "citations": [citation.model_dump(mode="json") for citation in answer.citations],
            "passages": [passage.id for passage in answer.passages],
            "rating": rating,
        }
        if comment and comment.strip():
            payload["comment"] = comment.strip()
        try:
            body = self._request("POST", "/feedback", json=payload)
        except ServiceRejected as error:
            if error.status_code == 429:
                raise ServiceRejected(
                    "Too many ratings from here: try again in a minute.", error.status_code
                ) from error
            raise
        return self._parse(FeedbackReceipt, body)

    def facets(self) -> Facets:
        """The committees, councils and date range of the loaded minutes."""
        return self._parse(Facets, self._request("GET", "/facets"))

    def documents(self) -> list[DocumentSummary]:
        """Every ingested document's metadata, for building example questions."""
        body = self._request("GET", "/documents")
        if not isinstance(body, list):
            raise ServiceFailed(f"The minutes service at {self.base_url} sent an unexpected list of documents.")
        return [self._parse(DocumentSummary, item) for item in body]

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.ConnectError as error:
            raise ServiceUnavailable(
                f"The minutes service is not reachable at {self.base_url}. "
                "It may not be running: start it, then ask again."
            ) from error
        except httpx.TimeoutException as error:
            raise ServiceTimeout(
                f"The minutes service at {self.base_url} did not answer within "
                f"{self.timeout_seconds:g} seconds. It may be busy: try again in a moment."
            ) from error
        except httpx.HTTPError as error:
            raise ServiceUnavailable(
                f"The connection to the minutes service at {self.base_url} failed ({type(error).__name__})."
            ) from error
        body = _json_or_none(response)
        if response.status_code >= 500:
            detail = body.get("detail") if isinstance(body, dict) else None
            reason = f": {detail.strip().rstrip('.')}." if isinstance(detail, str) and detail.strip() else "."
            raise ServiceFailed(
                f"The minutes service had an internal problem (HTTP {response.status_code}){reason} "
                "Try again; if it persists, tell whoever runs the service."
            )
        if response.status_code >= 400:
            raise ServiceRejected(_rejection_message(response.status_code, body), response.status_code)
        if body is None:
            raise ServiceFailed(f"The minutes service at {self.base_url} replied with something that is not JSON.")
        return body

    def _parse(self, model: type[Model], body: Any) -> Model:
        try:
            return model.model_validate(body)
        except ValidationError as error:
            raise ServiceFailed(
                f"The minutes service at {self.base_url} replied in an unexpected shape "
                f"({error.error_count()} problem(s) reading its {model.__name__.lower()})."
            ) from error


def _json_or_none(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _rejection_message(status_code: int, body: Any) -> str:
    """The service's own reason for refusing (its ``detail``), or a plain one if it gave none."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str) and detail.strip():
        return detail.strip()
    if status_code == 404:
        return "The minutes service does not know that address; is the API URL right?"
    return f"The minutes service refused the request (HTTP {status_code})."
