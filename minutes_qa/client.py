"""The Python client of the minutes service's HTTP API.

The web UI, ``minutes chat --api``, the eval harness's ``--api`` backend and analysts' scripts
all reach the service through :class:`MinutesClient`. It speaks the contract
(:mod:`minutes_qa.contract`): requests go out as its models' JSON, replies come back as its
models. Every transport or protocol failure becomes a :class:`ServiceError` whose message a
council member can act on, never a traceback; a refusal (4xx) carries the service's own reason,
which for an invalid request is the contract's sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from .contract import (
    AskResponse,
    DocumentDetail,
    DocumentSummary,
    Facets,
    FeedbackReceipt,
    FeedbackRequest,
    Filters,
    HealthResponse,
    Rating,
    RetrieverName,
    SearchResponse,
    Turn,
    problems,
)

# Connecting to a local service either works at once or not at all: fail fast there, and
# give the answer itself the configured (longer) time.
CONNECT_TIMEOUT_SECONDS = 5.0

Model = TypeVar("Model", bound=BaseModel)
_DOCUMENTS = TypeAdapter(list[DocumentSummary])


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
    """Typed calls to the minutes service at ``base_url``; use it as a context manager or :meth:`close` it.

    ``transport`` replaces the network (an ``httpx.MockTransport`` in tests).
    """

    def __init__(
        self, base_url: str, timeout_seconds: float = 30.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds
        timeout = httpx.Timeout(timeout_seconds, connect=min(CONNECT_TIMEOUT_SECONDS, timeout_seconds))
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def __enter__(self) -> MinutesClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def health(self) -> HealthResponse:
        """The service's health report; raises :class:`ServiceError` when it is not up."""
        return self._parse(HealthResponse, self._request("GET", "/health"))

    def ask(
        self,
        question: str,
        *,
        filters: Filters | None = None,
        history: Sequence[Turn] | None = None,
        k: int | None = None,
        retriever: RetrieverName | None = None,
    ) -> AskResponse:
        """Ask ``question`` of the minutes (``POST /ask``), restricted by ``filters``.

        ``history`` holds the conversation's earlier turns, oldest first, each as the service
        answered it (``Turn(question=..., interpreted_as=...)``), so that a follow-up is read in
        context; it is sent whenever given, even empty. ``k`` and ``retriever`` default to the
        service's choice. The service validates the request against its own limits; a refusal is
        a :class:`ServiceRejected` with its reason.
        """
        payload: dict[str, Any] = {"question": question}
        if k is not None:
            payload["k"] = k
        if retriever is not None:
            payload["retriever"] = retriever
        if history is not None:
            payload["history"] = [turn.model_dump(mode="json") for turn in history]
        if filters is not None and filters.active():
            payload["filters"] = filters.model_dump(mode="json", exclude_none=True)
        return self._parse(AskResponse, self._request("POST", "/ask", json=payload))

    def search(
        self, query: str, *, filters: Filters | None = None, k: int | None = None, retriever: RetrieverName | None = None
    ) -> SearchResponse:
        """The passages that best match ``query`` (``GET /search``), restricted by ``filters``."""
        params: dict[str, Any] = {"q": query}
        if k is not None:
            params["k"] = k
        if retriever is not None:
            params["retriever"] = retriever
        if filters is not None:
            params.update(filters.model_dump(mode="json", exclude_none=True))
        return self._parse(SearchResponse, self._request("GET", "/search", params=params))

    def feedback(self, answer: AskResponse, rating: Rating, comment: str | None = None) -> FeedbackReceipt:
        """Rate ``answer`` (thumbs ``up`` or ``down``, with an optional comment) through ``POST /feedback``.

        The service only accepts a rating of an answer it gave: the answer goes back exactly as it
        came (its id, question, reading, text, citations and passage ids). Raises
        :class:`ServiceError`; too many ratings (429) get a plain message.
        """
        if not answer.answer_id:
            raise ServiceRejected("This answer cannot be rated: the service gave it no answer id.", 422)
        try:
            request = FeedbackRequest(
                answer_id=answer.answer_id,
                question=answer.question,
                interpreted_as=answer.interpreted_as or answer.question,
                answer=answer.answer,
                citations=answer.citations,
                passages=[passage.id for passage in answer.passages],
                rating=rating,
                comment=comment,
            )
        except ValidationError as error:
            raise ServiceRejected(problems(error), 422) from None
        payload = request.model_dump(mode="json", exclude_none=True)
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
        """Every ingested document's metadata, without text."""
        body = self._request("GET", "/documents")
        try:
            return _DOCUMENTS.validate_python(body)
        except ValidationError as error:
            raise ServiceFailed(
                f"The minutes service at {self.base_url} sent an unexpected list of documents "
                f"({error.error_count()} problem(s))."
            ) from error

    def document(self, doc_id: str) -> DocumentDetail:
        """One document with the stored text that citation spans index into."""
        return self._parse(DocumentDetail, self._request("GET", f"/documents/{quote(doc_id, safe='')}"))

    def openapi(self) -> dict[str, Any]:
        """The service's OpenAPI description, to learn what an older or newer service accepts."""
        body = self._request("GET", "/openapi.json")
        if not isinstance(body, dict):
            raise ServiceFailed(f"The minutes service at {self.base_url} sent an unexpected API description.")
        return body

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
                f"({error.error_count()} problem(s) reading its {model.__name__})."
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
