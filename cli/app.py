"""The ``minutes`` command: it only parses options and dispatches to the layers below."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ..settings import Settings, get_settings
from .feedback_cli import feedback_app

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

app = typer.Typer(
    help="Question answering over council meeting minutes, with exact citations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)

IndexOption = Annotated[Path | None, typer.Option("--index", help="Index directory (default: MINUTES_INDEX_DIR).")]
KOption = Annotated[int | None, typer.Option("--k", help="How many passages (1 to MINUTES_MAX_K).")]
CommitteeOption = Annotated[str | None, typer.Option("--committee", help="Only this committee (substring).")]
CouncilOption = Annotated[str | None, typer.Option("--council", help="Only this council (substring).")]
SinceOption = Annotated[str | None, typer.Option("--since", help="Meetings on or after YYYY-MM-DD.")]
UntilOption = Annotated[str | None, typer.Option("--until", help="Meetings on or before YYYY-MM-DD.")]
FileOption = Annotated[str | None, typer.Option("--file", help="Only the document ingested from this file name.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object (the HTTP contract).")]
RetrieverOption = Annotated[str, typer.Option("--retriever", help="hybrid, dense or bm25.")]


def _settings(index: Path | None) -> Settings:
    settings = get_settings()
    return settings.replace(index_dir=index) if index else settings


def _fail(message: str, code: int = 2) -> typer.Exit:
    errors.print(f"[bold red]Error:[/] {message}", highlight=False)
    return typer.Exit(code)


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{option} must be a date written YYYY-MM-DD, got {value!r}.") from None


def _engine(settings: Settings):
    from minutes_qa.index.errors import WritePathError
    from minutes_qa.rag.engine import Engine

    try:
        return Engine.open(settings.index.index_dir, settings)
    except WritePathError as error:
        raise _fail(str(error)) from error


def _filters(committee, council, since, until, file) -> dict:
    """The filter options as the request's ``filters`` (the contract checks them with the rest)."""
    return {
        "committee": committee, "council": council, "since": _date(since, "--since"), "until": _date(until, "--until"),
        "file": file,
    }


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Minutes files or folders (walked recursively).")],
    index: IndexOption = None,
    prune: Annotated[bool, typer.Option("--prune", help="Drop documents whose files are gone.")] = False,
) -> None:
    """Add new and changed minutes files to the index; unchanged files are skipped."""
    from minutes_qa.index.errors import WritePathError
    from minutes_qa.index.ingest import ingest as run_ingest

    from .reporting import print_ingest_report

    settings = _settings(index)
    try:
        report = run_ingest(paths, settings.index.index_dir, settings, prune=prune, progress=True)
    except WritePathError as error:
        raise _fail(str(error)) from error
    print_ingest_report(console, report, settings.index.index_dir)
    if report.failed and not (report.added or report.updated or report.unchanged):
        raise typer.Exit(1)


@app.command()
def migrate(
    source: Annotated[Path, typer.Option("--from", help="The index directory to copy (its live generation).")],
    target: Annotated[str, typer.Option("--to", help="Where to: a MINUTES_STORE value, e.g. milvus://HOST:19530.")],
) -> None:
    """Copy an index into another store (e.g. FAISS into Milvus) without re-embedding anything."""
    from minutes_qa.index.errors import WritePathError
    from minutes_qa.index.migrate import migrate as run_migrate

    # The source directory holds the lock: no ingest changes it while it is copied.
    try:
        report = run_migrate(source, "faiss", target, source)
    except WritePathError as error:
        raise _fail(str(error)) from error
    console.print(
        f"Copied {report.documents} documents, {report.passages} passages and {report.sentences} sentence vectors "
        f"from {report.source} into {report.target}; live there as {report.generation}. Serve it with "
        f"MINUTES_STORE={target}.",
        markup=False,
    )


@app.command("index-info")
def index_info(index: IndexOption = None, as_json: JsonOption = False) -> None:
    """What an index holds: documents, chunks, committees, date range, model."""
    from .reporting import print_index_info

    settings = _settings(index)
    engine = _engine(settings)
    print_index_info(console, engine, as_json)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    index: IndexOption = None,
    k: KOption = None,
    committee: CommitteeOption = None,
    council: CouncilOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    file: FileOption = None,
    as_json: JsonOption = False,
    retriever: RetrieverOption = "hybrid",
) -> None:
    """The passages that best match QUERY."""
    from .reporting import print_search

    _run_query("search", query, index, k, _filters(committee, council, since, until, file), retriever, as_json, print_search)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A question in plain English.")],
    index: IndexOption = None,
    k: KOption = None,
    committee: CommitteeOption = None,
    council: CouncilOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    file: FileOption = None,
    as_json: JsonOption = False,
    retriever: RetrieverOption = "hybrid",
    history: Annotated[Path | None, typer.Option(
        "--history", help="JSON file of the conversation's earlier turns, oldest first: "
        '[{"question": ..., "interpreted_as": ...}] as earlier answers gave them.'
    )] = None,
) -> None:
    """A short answer to QUESTION from the minutes, every sentence cited."""
    from .chat import HistoryFileError, read_history_file
    from .reporting import print_answer

    turns = []
    if history is not None:
        try:
            turns = read_history_file(history)
        except HistoryFileError as error:
            raise _fail(str(error)) from error
    _run_query(
        "ask", question, index, k, _filters(committee, council, since, until, file), retriever, as_json,
        print_answer, history=turns,
    )


def _run_query(method: str, text: str, index, k, filters, retriever: str, as_json: bool, printer, **options) -> None:
    """Run ``Engine.search`` or ``Engine.ask`` and print the result as JSON (the contract) or for people."""
    from pydantic import ValidationError

    from minutes_qa.contract import AskRequest, RequestLimits, SearchRequest, problems, request_limits

    settings = _settings(index)
    model = SearchRequest if method == "search" else AskRequest
    fields = {"query" if method == "search" else "question": text, "k": k, "filters": filters, "retriever": retriever}
    try:
        with request_limits(RequestLimits.of(settings)):
            request = model.model_validate({**fields, **options})
    except ValidationError as error:
        raise _fail(problems(error)) from None
    engine = _engine(settings)
    if isinstance(request, SearchRequest):
        result = engine.search(request.query, request.k, request.filters, request.retriever)
    else:
        result = engine.ask(request.question, request.k, request.filters, request.retriever, history=request.history)
    if as_json:
        print(result.model_dump_json(exclude={"passages": {"__all__": {"source": {"view_url"}}}}))
    else:
        printer(console, result)


@app.command()
def serve(
    index: IndexOption = None,
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = None,
) -> None:
    """Serve the HTTP API (search, ask, documents, citation view) over the index."""
    from minutes_qa.index.errors import WritePathError
    from minutes_qa.server.main import serve as run_server

    settings = _settings(index)
    updates = {key: value for key, value in {"host": host, "port": port}.items() if value is not None}
    try:
        run_server(settings.replace(**updates))
    except WritePathError as error:
        raise _fail(str(error)) from error


@app.command()
def ui(
    api: Annotated[str | None, typer.Option("--api", help="URL of a running service.")] = None,
    host: Annotated[str | None, typer.Option("--host", help="Address for the web UI.")] = None,
    port: Annotated[int | None, typer.Option("--port", min=1, max=65535, help="Port for the web UI.")] = None,
) -> None:
    """The web UI, talking to a running service."""
    from minutes_qa.contract import RequestLimits
    from minutes_qa.ui.app import launch_ui

    settings = get_settings()
    launch_ui(settings.ui, RequestLimits.of(settings), api, host, port)


@app.command()
def up(index: IndexOption = None) -> None:
    """The service and the web UI together; one Ctrl-C stops both."""
    from minutes_qa.ui.launcher import LaunchError, run_both

    settings = _settings(index)
    try:
        run_both(settings, settings.index.index_dir)
    except LaunchError as error:
        raise _fail(str(error), 1) from error


def _mount_eval() -> None:
    from minutes_qa.eval.cli import eval_command

    app.command("eval")(eval_command)


_mount_eval()


def _mount_chat() -> None:
    from .chat import chat_command

    app.command("chat")(chat_command)


_mount_chat()
app.add_typer(feedback_app, name="feedback")


def main() -> None:
    app()


