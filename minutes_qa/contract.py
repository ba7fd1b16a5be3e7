"""The JSON contract of minutes-qa: every shape that crosses the HTTP API or ``minutes ... --json``.

One definition of each request and response, shared by the read path (which builds the answers),
the service (which validates requests and returns the answers unchanged apart from
``Source.view_url`` and ``AskResponse.answer_id``), the CLI, the eval harness, the Python client
and the web UI. Requests are validated here, once: the same sentence reaches a 422 body, the CLI's
error line and the UI's notice.

The limits that are settings (question length, k, history turns, comment length) are read from
the :class:`RequestLimits` in force: by default the process settings', and inside
:func:`request_limits` the ones given, which is how the service applies its own settings to the
requests it validates.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic.json_schema import JsonDict
from pydantic_core import PydanticCustomError

from .settings import Settings, get_settings

# What an abstaining answer says: the read path writes it, the UI heads the abstention with it.
ABSTAIN_MESSAGE = "The minutes I have don't cover this."

# A turn's standalone reading adds the earlier topic and scope to what was typed, so it may be
# longer than a question: twice the default question limit (max_question_chars).
MAX_TURN_CHARS = 2000
# Bounds on what one feedback may carry, so that a body cannot be arbitrarily large.
MAX_FEEDBACK_ANSWER_CHARS = 20_000
MAX_FEEDBACK_ITEMS = 200

# The read path's rankings (``rag.retrieval.RETRIEVERS`` lists the same names; a test checks).
# A Literal documents the choice in OpenAPI and makes pydantic name the options when refusing.
RetrieverName = Literal["hybrid", "dense", "bm25"]
Rating = Literal["up", "down"]


# --- limits -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestLimits:
    """The limits a request is validated against (settings, so they may differ per deployment)."""

    max_question_chars: int
    max_k: int
    max_history_turns: int
    max_comment_chars: int

    @classmethod
    def of(cls, settings: Settings) -> RequestLimits:
        """The limits ``settings`` set."""
        return cls(
            max_question_chars=settings.service.max_question_chars,
            max_k=settings.retrieval.max_k,
            max_history_turns=settings.retrieval.max_history_turns,
            max_comment_chars=settings.service.max_comment_chars,
        )


# A context variable rather than pydantic's validation context: FastAPI validates request
# bodies itself and cannot pass one (pydantic's documented pattern for that case).
_limits: ContextVar[RequestLimits | None] = ContextVar("minutes_qa_request_limits", default=None)


@contextmanager
def request_limits(limits: RequestLimits) -> Iterator[None]:
    """Validate the requests made inside the block against ``limits`` (the service wraps each request)."""
    token = _limits.set(limits)
    try:
        yield
    finally:
        _limits.reset(token)


def limits_in_force() -> RequestLimits:
    """The limits set by :func:`request_limits`, else the process settings'."""
    return _limits.get() or RequestLimits.of(get_settings())


def problems(error: ValidationError) -> str:
    """What is wrong with a request, for people: the contract's own sentences as they are, any
    other problem (a wrong type, a missing field) after the name of its field."""
    sentences = []
    for detail in error.errors(include_url=False):
        message = detail["msg"]
        field = ".".join(str(part) for part in detail["loc"])
        if detail["type"] not in CONTRACT_ERRORS and field:
            message = f"{field}: {message}"
        sentences.append(message.rstrip(".") + ".")
    return " ".join(sentences)


# The error types raised below: their messages are whole sentences, shown without a field name.
CONTRACT_ERRORS = frozenset(
    {"blank_text", "text_too_long", "k_out_of_range", "dates_reversed", "history_too_long", "comment_too_long"}
)


def _check_question(value: str, info: ValidationInfo) -> str:
    """A question (or query) that is not blank and within ``max_question_chars``."""
    name = info.field_name or "question"
    if not value.strip():
        raise PydanticCustomError("blank_text", f"The {name} is empty: say what you want to know.")
    limit = limits_in_force().max_question_chars
    if len(value) > limit:
        raise PydanticCustomError(
            "text_too_long",
            f"The {name} is {len(value):,} characters long; the limit is {limit:,}: "
            "shorten it to the heart of what you want to know.",
        )
    return value


def _check_k(value: int | None) -> int | None:
    limit = limits_in_force().max_k
    if value is not None and not 1 <= value <= limit:
        raise PydanticCustomError("k_out_of_range", f"k must be between 1 and {limit} (got {value}).")
    return value


_QUESTION_SCHEMA: JsonDict = {"minLength": 1}
_K_SCHEMA: JsonDict = {"minimum": 1}


# --- shared pieces --------------------------------------------------------------------------------


class Filters(BaseModel):
    """Restrictions on which passages may be retrieved. Unset fields do not restrict."""

    committee: str | None = Field(None, description="Committee name, matched case-insensitively as a substring.")
    council: str | None = Field(None, description="Council name, matched case-insensitively as a substring.")
    since: date | None = Field(None, description="Earliest meeting date (inclusive).")
    until: date | None = Field(None, description="Latest meeting date (inclusive); not before since.")
    file: str | None = Field(None, description="Exact file name of one ingested document.")

    @model_validator(mode="after")
    def _dates_in_order(self) -> Filters:
        if self.since and self.until and self.since > self.until:
            raise PydanticCustomError(
                "dates_reversed",
                f"The start date ({self.since}) is after the end date ({self.until}): no meeting can match; "
                "swap them or clear one.",
            )
        return self

    def active(self) -> bool:
        """Whether any field restricts."""
        return any(value is not None for value in self.model_dump().values())


class Turn(BaseModel):
    """An earlier turn of a conversation, as the client sends it back in ``history``."""

    question: str = Field(min_length=1, max_length=MAX_TURN_CHARS, description="The question as typed.")
    interpreted_as: str = Field(
        min_length=1, max_length=MAX_TURN_CHARS,
        description="The standalone question the service answered (the response's interpreted_as).",
    )

    @field_validator("question", "interpreted_as")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


# --- requests -----------------------------------------------------------------------------------


class SearchRequest(BaseModel):
    """A search: ``GET /search`` (as query parameters) and ``minutes search``."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(
        description="What to look for (not blank; at most the server's max_question_chars characters).",
        json_schema_extra=_QUESTION_SCHEMA,
    )
    k: int | None = Field(
        None, description="How many passages (1 to the server's max_k; default default_k).", json_schema_extra=_K_SCHEMA
    )
    filters: Filters = Field(default_factory=Filters, description="Restrict retrieval to some meetings.")
    retriever: RetrieverName = Field("hybrid", description="Ranking: hybrid (default), dense or bm25.")

    _query = field_validator("query")(_check_question)
    _k = field_validator("k")(_check_k)


class AskRequest(BaseModel):
    """A question for ``POST /ask`` (and ``minutes ask``)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "question": "What did the board say about workforce risk?",
                    "k": 5,
                    "filters": {"committee": "Health and Wellbeing", "since": "2018-01-01"},
                }
            ]
        },
    )

    question: str = Field(
        description="A question in plain English (not blank; at most the server's max_question_chars characters).",
        json_schema_extra=_QUESTION_SCHEMA,
    )
    k: int | None = Field(
        None, description="How many passages to retrieve (1 to the server's max_k).", json_schema_extra=_K_SCHEMA
    )
    filters: Filters | None = Field(None, description="Restrict retrieval to some meetings.")
    retriever: RetrieverName = Field("hybrid", description="Ranking: hybrid (default), dense or bm25.")
    history: list[Turn] = Field(
        default_factory=list,
        description="The conversation's earlier turns, oldest first, each as this service answered it "
        "(question and interpreted_as): a follow-up ('And in 2019?', 'Who proposed it?') is answered as the "
        "standalone question it stands for. Nothing is kept on the server; at most max_history_turns turns.",
    )

    _question = field_validator("question")(_check_question)
    _k = field_validator("k")(_check_k)

    @field_validator("history")
    @classmethod
    def _not_too_long(cls, value: list[Turn]) -> list[Turn]:
        limit = limits_in_force().max_history_turns
        if len(value) > limit:
            raise PydanticCustomError(
                "history_too_long", f"The history has {len(value)} turns; the limit is {limit}: send only the latest."
            )
        return value


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
    question: str = Field(description="The response's question.", json_schema_extra=_QUESTION_SCHEMA)
    interpreted_as: str | None = Field(None, description="The response's interpreted_as (default: the question).")
    answer: str = Field(max_length=MAX_FEEDBACK_ANSWER_CHARS, description="The response's answer text.")
    citations: list[Citation] = Field(
        default_factory=list, max_length=MAX_FEEDBACK_ITEMS, description="The response's citations."
    )
    passages: list[str] = Field(
        default_factory=list, max_length=MAX_FEEDBACK_ITEMS, description="The ids of the response's passages, in order."
    )
    rating: Rating = Field(description="up: a good answer; down: a bad one.")
    comment: str | None = Field(
        None, description="What was right or wrong (at most max_comment_chars); a blank comment counts as none."
    )

    _question = field_validator("question")(_check_question)

    @field_validator("comment")
    @classmethod
    def _comment(cls, value: str | None) -> str | None:
        comment = value.strip() if value and value.strip() else None
        limit = limits_in_force().max_comment_chars
        if comment is not None and len(comment) > limit:
            raise PydanticCustomError(
                "comment_too_long",
                f"The comment is {len(comment):,} characters long; the limit is {limit:,}. Shorten it and send it again.",
            )
        return comment


# --- responses ----------------------------------------------------------------------------------


class _Response(BaseModel):
    # Fields a newer service adds are ignored by older clients (the UI, scripts), not refused.
    model_config = ConfigDict(extra="ignore")


class Source(_Response):
    """Where a passage comes from: enough to open and check it."""

    doc_id: str
    file: str
    start: int = Field(description="Character offset of the passage in the stored document text.")
    end: int = Field(description="End offset (exclusive); text == document[start:end].")
    page: int | None = None
    council: str | None = None
    committee: str | None = None
    meeting_date: str | None = None
    title: str | None = None
    url: str | None = None
    reference: str | None = Field(
        None,
        description="Formal reference as staff write it: committee, meeting date, minute number, council "
        "(and page for PDFs), e.g. 'Health and Wellbeing Board, 13 February 2018, minute 150, Herefordshire "
        "Council'. Unknown parts are left out.",
    )
    view_url: str | None = Field(None, description="The service's highlighted view of this span (HTTP only).")


class Passage(_Response):
    """One retrieved passage, ranked."""

    id: str
    rank: int
    score: float
    text: str
    source: Source


class Citation(_Response):
    """Answer citation [n]: an exact quote from one retrieved passage."""

    n: int
    passage_id: str
    quote: str


class DirectAnswer(_Response):
    """The words that answer the question (a person, an amount, a date, a decision), quoted
    exactly from the minutes and cited, shown before the supporting sentences."""

    text: str
    citation: int = Field(description="The number n of the citation [n] this text is quoted from or dated by.")


class SearchResponse(_Response):
    query: str
    passages: list[Passage]


class AskResponse(_Response):
    question: str
    interpreted_as: str = Field(
        "", description="The standalone question actually answered: the question itself, or a follow-up "
        "rewritten with the earlier turns' topic, council, committee and dates (show it as 'Answered as')."
    )
    answer: str
    abstained: bool
    direct_answer: DirectAnswer | None = Field(
        None, description="For who / when / how much / how many / which / yes-no questions: the answer's words first."
    )
    citations: list[Citation]
    passages: list[Passage]
    suggestions: list[str] = Field(
        default_factory=list,
        description="When abstaining: filters or topics to try. When answering: two or three next questions "
        "built from the cited items, ready to ask as they are.",
    )
    answer_id: str | None = Field(
        None, description="Identifies this answer for POST /feedback; set by the HTTP service (null from the CLI)."
    )

    @model_validator(mode="after")
    def _answered_as_asked(self) -> AskResponse:
        # A response built without a reading answered the question as asked.
        if not self.interpreted_as:
            self.interpreted_as = self.question
        return self

    def passage(self, passage_id: str) -> Passage | None:
        """The passage with id ``passage_id``, if the answer holds it."""
        return next((passage for passage in self.passages if passage.id == passage_id), None)


class FeedbackReceipt(_Response):
    """What ``POST /feedback`` stored."""

    id: int = Field(description="The feedback's number in the feedback database.")
    answer_id: str
    rating: Rating


class ErrorResponse(_Response):
    """Every 4xx and 5xx answer."""

    detail: str = Field(description="What went wrong and, where possible, how to fix it.")


class IndexStatus(_Response):
    """The live index generation."""

    generation: int
    built_at: str
    documents: int
    passages: int


class HealthResponse(_Response):
    """``GET /health``."""

    status: Literal["ok"]
    model: str
    backend: str
    index: IndexStatus
    uploads_enabled: bool = Field(description="Whether POST /documents accepts uploads (an admin token is set).")
    ingesting: bool = Field(description="Whether an upload is being ingested right now.")


class DocumentSummary(_Response):
    """One stored minutes document, without its text."""

    doc_id: str
    file: str
    council: str | None = None
    committee: str | None = None
    meeting_date: str | None = None
    title: str | None = None
    url: str | None = Field(None, description="The original minutes page, when known.")
    item_number: str | None = None
    chars: int = Field(description="Length of the stored text in characters; spans index into it.")
    view_url: str = Field(description="The service's HTML view of the whole document.")


class PageInfo(_Response):
    """Where one PDF page lies in the stored text."""

    page: int
    start: int
    end: int


class DocumentDetail(DocumentSummary):
    """One stored document with its text."""

    text: str = Field(description="The stored text every citation span refers to.")
    pages: list[PageInfo] = Field(default_factory=list, description="PDF page spans; empty for other formats.")


class Facets(_Response):
    """What the loaded minutes span, for filter menus."""

    committees: list[str]
    councils: list[str]
    earliest: str | None = Field(None, description="Earliest meeting date (ISO 8601).")
    latest: str | None = Field(None, description="Latest meeting date (ISO 8601).")


class FailedFile(_Response):
    """An uploaded file the ingest could not read."""

    file: str
    reason: str


class IngestResult(_Response):
    """What ``POST /documents`` did: file names per outcome, and the index's size afterwards."""

    added: list[str]
    updated: list[str]
    unchanged: list[str]
    failed: list[FailedFile]
    warnings: list[str]
    documents: int
    chunks: int
    generation: str
    seconds: float


# FeedbackRequest names Citation before it is defined.
FeedbackRequest.model_rebuild()
