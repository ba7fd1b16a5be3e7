"""``minutes chat``: a conversation with the minutes in the terminal.

The conversation is kept here, on the client, and sent with each question as ``history``, so a
follow-up ("What about Kent?", "Who proposed it?") is read in context by the engine in this
process (``--index``) or by a running service (``--api``), exactly as the web UI does it. Nothing
about the conversation is kept by the engine or the service. ``/new`` starts again, ``/quit`` ends.

``chat_command`` carries the typer annotations and is mounted by ``minutes/cli.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Protocol

import typer
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.markup import escape

from minutes_qa.contract import AskRequest, AskResponse, RequestLimits, Turn, problems, request_limits

from ..settings import Settings, get_settings
from .reporting import print_answer

if TYPE_CHECKING:
    from minutes_qa.client import MinutesClient
    from minutes_qa.rag.engine import Engine

NEW_COMMAND = "/new"
QUIT_COMMANDS = ("/quit", "/exit")
_TURNS = TypeAdapter(list[Turn])


class ChatError(Exception):
    """A question could not be answered; the message is for the person at the terminal."""


class HistoryFileError(ValueError):
    """A ``--history`` file cannot be used; the message names the file and the problem."""


def read_history_file(path: Path) -> list[Turn]:
    """The turns in ``path``: a JSON list of ``{"question", "interpreted_as"}``, oldest first.

    How many turns a question may come with is the request's to check (``AskRequest.history``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise HistoryFileError(f"Cannot read the history file {path}: {error.strerror or error}.") from None
    try:
        turns = _TURNS.validate_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the file"
        raise HistoryFileError(
            f"The history file {path} is not a JSON list of turns "
            f'[{{"question": ..., "interpreted_as": ...}}, ...]: {where}: {first["msg"]}.'
        ) from None
    return turns


class ChatBackend(Protocol):
    """Where answers come from."""

    def ask(self, question: str, history: Sequence[Turn]) -> AskResponse:
        """Answer ``question`` after the earlier turns ``history``; raises :class:`ChatError`."""
        ...

    def close(self) -> None:
        ...


class EngineBackend:
    """The engine in this process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def ask(self, question: str, history: Sequence[Turn]) -> AskResponse:
        try:
            return self.engine.ask(question, history=list(history))
        except ValueError as error:
            raise ChatError(str(error)) from error

    def close(self) -> None:
        self.engine.reader.close()


class ServiceBackend:
    """A running minutes service, through :class:`minutes_qa.client.MinutesClient`."""

    def __init__(self, client: MinutesClient) -> None:
        self.client = client

    def ask(self, question: str, history: Sequence[Turn]) -> AskResponse:
        from minutes_qa.client import ServiceError

        try:
            return self.client.ask(question, history=list(history) or None)
        except ServiceError as error:
            raise ChatError(str(error)) from error

    def close(self) -> None:
        self.client.close()


@dataclass
class Conversation:
    """The latest turns, as the backend answered them: what the next question is sent with."""

    max_turns: int
    turns: list[Turn] = field(default_factory=list)

    def record(self, response: AskResponse) -> None:
        self.turns.append(Turn(question=response.question, interpreted_as=response.interpreted_as))
        del self.turns[: max(0, len(self.turns) - self.max_turns)]

    def restart(self) -> None:
        self.turns.clear()


def run_chat(
    backend: ChatBackend, console: Console, settings: Settings, read: Callable[[str], str] | None = None
) -> int:
    """Ask what is typed, one line at a time, until ``/quit`` or the end of input; returns the number of answers."""
    read = read or console.input
    conversation = Conversation(settings.retrieval.max_history_turns)
    limits = RequestLimits.of(settings)
    console.print(
        "Ask about the minutes. Follow-up questions are read in the context of the conversation. "
        f"[bold]{NEW_COMMAND}[/] starts a new conversation, [bold]{QUIT_COMMANDS[0]}[/] ends.",
    )
    answered = 0
    while True:
        try:
            line = read("[bold cyan]You:[/] ").strip()
        except EOFError:
            break
        if not line:
            continue
        if line.lower() in QUIT_COMMANDS:
            break
        if line.lower() == NEW_COMMAND:
            conversation.restart()
            console.print("[dim]New conversation: earlier questions no longer count.[/]")
            continue
        if line.startswith("/"):
            console.print(f"Unknown command {escape(line)}: type {NEW_COMMAND} or {QUIT_COMMANDS[0]}.")
            continue
        try:
            with request_limits(limits):
                AskRequest(question=line, history=conversation.turns)
        except ValidationError as error:
            console.print(f"[bold red]Error:[/] {escape(problems(error))}")
            continue
        try:
            response = backend.ask(line, conversation.turns)
        except ChatError as error:
            console.print(f"[bold red]Error:[/] {escape(str(error))}")
            continue
        print_answer(console, response)
        conversation.record(response)
        answered += 1
    return answered


def open_backend(settings: Settings, api: str | None) -> ChatBackend:
    """The service at ``api``, or else the engine over ``settings.index.index_dir``."""
    if api is not None:
        from minutes_qa.client import MinutesClient, ServiceError

        client = MinutesClient(api, settings.ui.api_timeout_seconds)
        try:
            client.health()
        except ServiceError as error:
            client.close()
            raise ChatError(str(error)) from error
        return ServiceBackend(client)
    from minutes_qa.index.errors import WritePathError
    from minutes_qa.rag.engine import Engine

    try:
        return EngineBackend(Engine.open(settings.index.index_dir, settings))
    except WritePathError as error:
        raise ChatError(str(error)) from error


def chat_command(
    index: Annotated[Path | None, typer.Option("--index", help="Index directory (default: MINUTES_INDEX_DIR).")] = None,
    api: Annotated[str | None, typer.Option("--api", help="URL of a running service, instead of --index.")] = None,
) -> None:
    """A conversation with the minutes: ask, then ask follow-ups ("What about Kent?", "Who proposed it?")."""
    console = Console()
    if index is not None and api is not None:
        Console(stderr=True).print("[bold red]Error:[/] give --index or --api, not both.")
        raise typer.Exit(2)
    settings = get_settings()
    if index is not None:
        settings = settings.replace(index_dir=index)
    try:
        backend = open_backend(settings, api)
    except ChatError as error:
        Console(stderr=True).print(f"[bold red]Error:[/] {escape(str(error))}", highlight=False)
        raise typer.Exit(2) from error
    try:
        run_chat(backend, console, settings)
    finally:
        backend.close()
