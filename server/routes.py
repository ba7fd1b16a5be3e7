"""The HTTP endpoints. Each one validates its input, calls the engine and shapes the answer.

Endpoints that search, read the index or render are plain ``def`` functions: FastAPI runs them
in its thread pool, so the CPU-bound engine work never blocks the event loop and requests run
concurrently (the engine is thread-safe for reads).
"""

from __future__ import annotations

import hmac
import threading
from datetime import date
from pathlib import PurePath
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from minutes_qa.contract import (
    AskRequest,
    AskResponse,
    DocumentDetail,
    DocumentSummary,
    ErrorResponse,
    Facets,
    FailedFile,
    FeedbackReceipt,
    FeedbackRequest,
    HealthResponse,
    IndexStatus,
    IngestResult,
    PageInfo,
    Passage,
    RetrieverName,
    SearchRequest,
    SearchResponse,
)
from minutes_qa.index.backend import StoreReader
from minutes_qa.index.ingest import IngestReport
from minutes_qa.index.readers import SUPPORTED_SUFFIXES
from minutes_qa.index.records import Document
from minutes_qa.rag.engine import Engine
from minutes_qa.settings import Settings

from .errors import DOCUMENT_ERRORS, QUERY_ERRORS, ApiError
from .feedback import FEEDBACK_ERRORS, FeedbackService, get_feedback, limit_feedback_rate
from .uploads import MAX_FILES_PER_UPLOAD, Upload, UploadService, check_upload, safe_file_name, upload_limit
from .view import CONTENT_SECURITY_POLICY, InvalidSpan, check_span, cited_heading, render_document_view

router = APIRouter()


# --- dependencies -----------------------------------------------------------------------------
# async: they only read app state, so they need no thread-pool hop (each costs a thread switch,
# which on busy cores is a good share of a search's time).


async def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


async def get_engine(request: Request) -> Engine:
    """The engine, switched to the index's live generation if an ingest elsewhere (the CLI) replaced it.

    The index directory is looked at no more than once a second (see :mod:`server.generation_check`);
    only then does a request leave the event loop here, for the thread pool, where a reload reads
    the new generation. Every other request gets the engine without a thread-pool hop.
    """
    engine: Engine = request.app.state.engine
    if request.app.state.generation_check.due():
        await run_in_threadpool(engine.reload)
    return engine


async def get_feedback_service(request: Request) -> FeedbackService:
    """The app's feedback service (see :func:`server.feedback.get_feedback`: no I/O, so no thread-pool hop)."""
    return get_feedback(request)


async def get_uploads(request: Request) -> UploadService:
    """The upload service bound to the engine."""
    return request.app.state.uploads


async def get_lengths(request: Request) -> TextLengths:
    """The per-process cache of stored text lengths."""
    return request.app.state.text_lengths


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
UploadsDep = Annotated[UploadService, Depends(get_uploads)]
FeedbackDep = Annotated[FeedbackService, Depends(get_feedback_service)]

_bearer = HTTPBearer(auto_error=False, description="The administrator token (MINUTES_ADMIN_TOKEN).")


async def require_admin(
    settings: SettingsDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    """Allow the request only with the configured administrator token."""
    if not settings.service.admin_token:
        raise ApiError(
            403,
            "Uploads are disabled on this server. To enable them, set MINUTES_ADMIN_TOKEN to a secret "
            "token and restart the server, then send it as 'Authorization: Bearer <token>'.",
        )
    if credentials is None:
        raise ApiError(
            401, "Uploads need the administrator token: send 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not hmac.compare_digest(credentials.credentials.encode(), settings.service.admin_token.encode()):
        raise ApiError(403, "The administrator token is not valid.")


# --- helpers ----------------------------------------------------------------------------------


class TextLengths:
    """Stored text length per document version, so listing documents does not re-read every text."""

    def __init__(self) -> None:
        self._lengths: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def chars(self, reader: StoreReader, doc: Document) -> int:
        # Keyed by content hash too: an updated document has a new length under the same id.
        key = (doc.doc_id, doc.content_hash)
        with self._lock:
            known = self._lengths.get(key)
        if known is None:
            known = len(reader.document_text(doc.doc_id))
            with self._lock:
                self._lengths[key] = known
        return known


def base_url(request: Request, settings: Settings) -> str:
    """The service's public base URL: configured, or as the client reached it."""
    return (settings.service.public_url or str(request.base_url)).rstrip("/")


def view_url(base: str, doc_id: str, start: int | None = None, end: int | None = None) -> str:
    """Absolute URL of the document view, highlighting ``[start, end)`` when given."""
    url = f"{base}/documents/{quote(doc_id, safe='')}/view"
    # The fragment scrolls to the highlight even where the page's script does not run.
    return url if start is None or end is None else f"{url}?start={start}&end={end}#cited"


def _with_view_urls(passages: list[Passage], base: str) -> list[Passage]:
    return [
        passage.model_copy(
            update={"source": passage.source.model_copy(
                update={"view_url": view_url(base, passage.source.doc_id, passage.source.start, passage.source.end)}
            )}
        )
        for passage in passages
    ]


def _json(content: BaseModel) -> Response:
    """``content`` as the JSON response FastAPI would make of it under its ``response_model``, made
    here in the endpoint's own thread: returned as a model, it would be validated again and
    serialised in a second trip through the thread pool."""
    return Response(content.model_dump_json(), media_type="application/json")


def _summary(doc: Document, chars: int, base: str) -> DocumentSummary:
    metadata = doc.metadata
    return DocumentSummary(
        doc_id=doc.doc_id, file=doc.file, council=metadata.council, committee=metadata.committee,
        meeting_date=metadata.meeting_date, title=metadata.title, url=metadata.url,
        item_number=metadata.item_number, chars=chars, view_url=view_url(base, doc.doc_id),
    )


def _document(engine: Engine, doc_id: str) -> Document:
    try:
        return engine.document(doc_id)
    except KeyError:
        raise ApiError(404, f"No document with id {doc_id!r}; GET /documents lists them.") from None


# --- read endpoints ---------------------------------------------------------------------------


@router.get("/health", response_model=HealthResponse, tags=["service"], summary="Service and index status")
def health(engine: EngineDep, uploads: UploadsDep, settings: SettingsDep) -> HealthResponse:
    """Whether the service is up, which model it embeds with and what the live index holds."""
    manifest = engine.reader.manifest
    return HealthResponse(
        status="ok", model=manifest.model, backend=manifest.backend,
        index=IndexStatus(
            generation=manifest.generation, built_at=manifest.built_at,
            documents=manifest.documents, passages=manifest.chunks,
        ),
        uploads_enabled=bool(settings.service.admin_token), ingesting=uploads.busy,
    )


@router.get(
    "/search", response_model=SearchResponse, responses=QUERY_ERRORS, tags=["query"], summary="Find passages"
)
def search(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    q: Annotated[str, Query(description="What to look for.")],
    k: Annotated[int | None, Query(description="How many passages (1 to max_k; default default_k).")] = None,
    committee: Annotated[str | None, Query(description="Committee name (case-insensitive substring).")] = None,
    council: Annotated[str | None, Query(description="Council name (case-insensitive substring).")] = None,
    since: Annotated[date | None, Query(description="Meetings on or after this date (YYYY-MM-DD).")] = None,
    until: Annotated[date | None, Query(description="Meetings on or before this date (YYYY-MM-DD).")] = None,
    file: Annotated[str | None, Query(description="Only the document ingested from this file name.")] = None,
    retriever: Annotated[RetrieverName, Query(description="hybrid, dense or bm25.")] = "hybrid",
) -> Response:
    """The passages that best match ``q``: the JSON of ``minutes search --json``, plus view links."""
    try:
        query = SearchRequest.model_validate({
            "query": q, "k": k, "retriever": retriever,
            "filters": {"committee": committee, "council": council, "since": since, "until": until, "file": file},
        })
    except ValidationError as error:
        raise RequestValidationError(error.errors(include_url=False)) from None
    result = engine.search(query.query, query.k, query.filters, query.retriever)
    return _json(result.model_copy(update={"passages": _with_view_urls(result.passages, base_url(request, settings))}))


@router.post("/ask", response_model=AskResponse, responses=QUERY_ERRORS, tags=["query"], summary="Ask a question")
def ask(
    request: Request, body: AskRequest, engine: EngineDep, settings: SettingsDep, feedback: FeedbackDep
) -> Response:
    """A short answer with numbered citations, or an abstention with suggestions: the JSON of
    ``minutes ask --json``, plus view links and the ``answer_id`` that ``POST /feedback`` rates."""
    # The body was validated against this app's limits (create_app sets them for every request).
    generation = engine.reader.manifest.generation
    result = engine.ask(body.question, body.k, body.filters, body.retriever, history=body.history)
    return _json(result.model_copy(update={
        "passages": _with_view_urls(result.passages, base_url(request, settings)),
        "answer_id": feedback.answer_id(result, generation),
    }))


@router.post(
    "/feedback", response_model=FeedbackReceipt, status_code=201, responses=FEEDBACK_ERRORS, tags=["feedback"],
    summary="Rate an answer", dependencies=[Depends(limit_feedback_rate)],
)
def give_feedback(body: FeedbackRequest, engine: EngineDep, feedback: FeedbackDep) -> FeedbackReceipt:
    """Thumbs up or down on an answer, with an optional comment; no account needed.

    Send back the ``answer_id``, ``question``, ``interpreted_as``, ``answer``, ``citations`` and
    the passages' ids exactly as ``POST /ask`` returned them: feedback on an answer this service did
    not give is refused (422). Stored beside the index, where ``minutes feedback export`` turns it
    into evaluation questions. Each client address may send ``feedback_burst`` at once and
    ``feedback_per_minute`` after that (429 beyond).
    """
    return feedback.record(body, engine.reader)


@router.get("/documents", response_model=list[DocumentSummary], tags=["documents"], summary="List documents")
def list_documents(
    request: Request, engine: EngineDep, settings: SettingsDep, lengths: Annotated[TextLengths, Depends(get_lengths)]
) -> list[DocumentSummary]:
    """Every stored minutes document, by file name, without text."""
    reader = engine.reader  # one generation for the whole listing, even if an ingest swaps it meanwhile
    base = base_url(request, settings)
    docs = sorted(reader.documents.values(), key=lambda doc: doc.file)
    return [_summary(doc, lengths.chars(reader, doc), base) for doc in docs]


@router.get(
    "/documents/{doc_id}", response_model=DocumentDetail, responses=DOCUMENT_ERRORS, tags=["documents"],
    summary="One document with its text",
)
def get_document(doc_id: str, request: Request, engine: EngineDep, settings: SettingsDep) -> DocumentDetail:
    """A document's metadata and the stored text that citation spans index into."""
    doc = _document(engine, doc_id)
    summary = _summary(doc, len(doc.text), base_url(request, settings))
    return DocumentDetail(
        **summary.model_dump(), text=doc.text,
        pages=[PageInfo(page=span.page, start=span.start, end=span.end) for span in doc.pages],
    )


@router.get(
    "/documents/{doc_id}/view", response_class=HTMLResponse, responses=DOCUMENT_ERRORS, tags=["documents"],
    summary="Check a citation in the full minutes",
)
def view_document(
    doc_id: str,
    engine: EngineDep,
    start: Annotated[int | None, Query(description="Start of the cited span (character offset).")] = None,
    end: Annotated[int | None, Query(description="End of the cited span (exclusive).")] = None,
) -> HTMLResponse:
    """An HTML page of the whole document with ``[start, end)`` highlighted and scrolled into view."""
    doc = _document(engine, doc_id)
    try:
        span = check_span(len(doc.text), start, end)
    except InvalidSpan as error:
        raise ApiError(422, str(error)) from None
    return HTMLResponse(
        render_document_view(doc, span, cited_heading(engine.reader, doc.doc_id, span.start) if span else ""),
        headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff"},
    )


@router.get("/facets", response_model=Facets, tags=["documents"], summary="Filter values")
def facets(engine: EngineDep) -> Facets:
    """The committees, councils and meeting-date range present, for filter menus."""
    found = engine.facets()
    return Facets(committees=found.committees, councils=found.councils, earliest=found.earliest, latest=found.latest)


# --- administrator upload ---------------------------------------------------------------------

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": f"Minutes files ({', '.join(sorted(SUPPORTED_SUFFIXES))}).",
                        }
                    },
                }
            }
        },
    }
}


@router.post(
    "/documents",
    response_model=IngestResult,
    tags=["admin"],
    summary="Upload minutes into the live index",
    dependencies=[Depends(require_admin)],
    openapi_extra=_UPLOAD_BODY,
    responses={
        401: {"model": ErrorResponse, "description": "No administrator token sent."},
        403: {"model": ErrorResponse, "description": "Wrong token, or uploads disabled (no MINUTES_ADMIN_TOKEN)."},
        409: {"model": ErrorResponse, "description": "Another upload is being ingested."},
        413: {"model": ErrorResponse, "description": "A file is over the size limit."},
        415: {"model": ErrorResponse, "description": "A file type the ingest cannot read."},
        422: {"model": ErrorResponse, "description": "A file could not be read; nothing was ingested."},
        400: {"model": ErrorResponse, "description": "No files, or a malformed form."},
    },
)
async def upload_documents(request: Request, uploads: UploadsDep, settings: SettingsDep) -> IngestResult:
    """Ingest one or more minutes files (multipart field ``files``) with the administrator token.

    All or nothing: if any file is refused or unreadable, nothing is ingested. Queries keep
    working during the ingest and see the new documents once it completes.
    """
    # The form is parsed here, after require_admin, rather than by a File() parameter, which
    # FastAPI would read before any dependency runs: a caller without the token must not get a
    # large body parsed and spooled to disk.
    _check_content_length(request, settings)
    form = await request.form(max_files=MAX_FILES_PER_UPLOAD, max_fields=MAX_FILES_PER_UPLOAD)
    try:
        received = _received_files(form.getlist("files"), settings)
        with uploads.exclusive():
            report = await run_in_threadpool(uploads.ingest, received)
    finally:
        await form.close()
    return _ingest_result(report)


def _ingest_result(report: IngestReport) -> IngestResult:
    """The report with bare file names: the client need not learn the server's paths."""

    def names(paths: list[str]) -> list[str]:
        return [PurePath(path).name for path in paths]

    def without_folder(warning: str) -> str:
        path, _, problem = warning.partition(": ")
        return f"{PurePath(path).name}: {problem}"

    return IngestResult(
        added=names(report.added), updated=names(report.updated), unchanged=names(report.unchanged),
        failed=[FailedFile(file=PurePath(path).name, reason=reason) for path, reason in report.failed],
        warnings=[without_folder(warning) for warning in report.warnings],
        documents=report.documents, chunks=report.chunks, generation=report.generation,
        seconds=round(report.seconds, 3),
    )


def _check_content_length(request: Request, settings: Settings) -> None:
    declared = request.headers.get("content-length")
    # Room for the multipart framing around the largest acceptable set of files.
    most = upload_limit(settings) * MAX_FILES_PER_UPLOAD + 1024 * 1024
    if declared and declared.isdigit() and int(declared) > most:
        raise ApiError(413, f"The upload is {int(declared):,} bytes, over the limit of {most:,} bytes.")


def _received_files(items: list[UploadFile | str], settings: Settings) -> list[Upload]:
    if not items:
        raise ApiError(400, "No files received: send the minutes as multipart/form-data in the field 'files'.")
    received: dict[str, Upload] = {}
    for item in items:
        if not isinstance(item, UploadFile):
            raise ApiError(400, "The field 'files' must hold files, not text.")
        name = safe_file_name(item.filename)
        check_upload(name, item.size, settings)
        if name in received:
            raise ApiError(400, f"{name} was sent twice in one upload.")
        received[name] = Upload(name=name, content=item.file)
    return list(received.values())
