"""Request and response models at the HTTP edge.

Search and ask answers are the read path's own contract (``rag.contract``), returned unchanged
apart from ``Source.view_url``; the models here describe everything else the service says.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from minutes_qa.rag.contract import Filters, Turn

# Must list exactly ``rag.retrieval.RETRIEVERS`` (a test checks): a Literal documents the choice
# in OpenAPI and makes pydantic reject anything else with a message naming the options.
RetrieverName = Literal["hybrid", "dense", "bm25"]


class AskRequest(BaseModel):
    """A question for ``POST /ask``."""

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

    question: str = Field(description="A question in plain English.")
    k: int | None = Field(None, description="How many passages to retrieve (1 to the server's max_k).")
    filters: Filters | None = Field(None, description="Restrict retrieval to some meetings.")
    retriever: RetrieverName = Field("hybrid", description="Ranking: hybrid (default), dense or bm25.")
    history: list[Turn] = Field(
        default_factory=list,
        description="The conversation's earlier turns, oldest first, each as this service answered it "
        "(question and interpreted_as): a follow-up ('And in 2019?', 'Who proposed it?') is answered as the "
        "standalone question it stands for. Nothing is kept on the server; at most max_history_turns turns.",
    )


class ErrorResponse(BaseModel):
    """Every 4xx and 5xx answer."""

    detail: str = Field(description="What went wrong and, where possible, how to fix it.")


class IndexStatus(BaseModel):
    """The live index generation."""

    generation: int
    built_at: str
    documents: int
    passages: int


class HealthResponse(BaseModel):
    """``GET /health``."""

    status: Literal["ok"]
    model: str
    backend: str
    index: IndexStatus
    uploads_enabled: bool = Field(description="Whether POST /documents accepts uploads (an admin token is set).")
    ingesting: bool = Field(description="Whether an upload is being ingested right now.")


class DocumentSummary(BaseModel):
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


class PageInfo(BaseModel):
    """Where one PDF page lies in the stored text."""

    page: int
    start: int
    end: int


class DocumentDetail(DocumentSummary):
    """One stored document with its text."""

    text: str = Field(description="The stored text every citation span refers to.")
    pages: list[PageInfo] = Field(default_factory=list, description="PDF page spans; empty for other formats.")


class Facets(BaseModel):
    """What the loaded minutes span, for filter menus."""

    committees: list[str]
    councils: list[str]
    earliest: str | None = Field(None, description="Earliest meeting date (ISO 8601).")
    latest: str | None = Field(None, description="Latest meeting date (ISO 8601).")


class FailedFile(BaseModel):
    """An uploaded file the ingest could not read."""

    file: str
    reason: str


class IngestResult(BaseModel):
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
