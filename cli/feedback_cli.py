"""``minutes feedback export|stats``: what members said about answers, for analysts."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..settings import get_settings

feedback_app = typer.Typer(help="Feedback on answers: export it as evaluation questions, or count it.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)

IndexOption = Annotated[
    Path | None, typer.Option("--index", help="Index directory whose feedback.sqlite to read (default: MINUTES_INDEX_DIR).")
]
# Comments are typed by anyone: terminal control sequences in them must not reach the screen.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_SHOWN_COMMENTS = 5
_SHOWN_COMMENT_CHARS = 200


def _store(index: Path | None):
    from minutes_qa.server.feedback_store import FeedbackStore, FeedbackUnavailable, feedback_db_path

    settings = get_settings()
    settings = settings.replace(index_dir=index) if index else settings
    try:
        return FeedbackStore.open_existing(feedback_db_path(settings))
    except FeedbackUnavailable as error:
        errors.print(Text("Error: ", style="bold red") + Text(str(error)))
        raise typer.Exit(2) from error


@feedback_app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="JSONL file to write (question-set format).")],
    index: IndexOption = None,
) -> None:
    """Write every rated answer as an evaluation question: good answers with their cited quotes as
    candidate gold, bad ones with none; each marked as needing review."""
    from .feedback_export import eval_record

    store = _store(index)
    try:
        entries = store.entries()
    finally:
        store.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for entry in entries:
            handle.write(json.dumps(eval_record(entry), ensure_ascii=False) + "\n")
    good = sum(entry.rating == "up" for entry in entries)
    console.print(
        Text(
            f"Wrote {len(entries)} questions ({good} rated good, {len(entries) - good} rated bad) to {out}. "
            "Each needs review before it joins a question set."
        )
    )


@feedback_app.command("stats")
def stats(index: IndexOption = None) -> None:
    """Count feedback: up and down, with comments, and over the last seven days."""
    from .feedback_export import count_feedback

    store = _store(index)
    try:
        entries = store.entries()
    finally:
        store.close()
    counts = count_feedback(entries, datetime.now(UTC))
    table = Table(title=Text(f"Feedback in {store.path}"), show_header=True)
    for column in ("", "all", "last 7 days"):
        table.add_column(column, justify="right" if column else "left")
    table.add_row("rated", str(counts.total), str(counts.last_7_days))
    table.add_row("up", str(counts.up), str(counts.last_7_days_up))
    table.add_row("down", str(counts.down), str(counts.last_7_days_down))
    table.add_row("with a comment", str(counts.with_comment), "")
    table.add_row("abstentions rated", str(counts.abstentions_rated), "")
    console.print(table)
    commented = [entry for entry in entries if entry.comment][-_SHOWN_COMMENTS:]
    if commented:
        console.print("Latest comments:")
        for entry in reversed(commented):
            console.print(Text(f"  {entry.received_at:%Y-%m-%d} {entry.rating:>4}  ") + Text(shown_comment(entry.comment)))


def shown_comment(comment: str | None) -> str:
    """A comment as safe terminal text: control characters (escape sequences) replaced, one line, cut short."""
    flat = _CONTROL.sub(" ", comment or "")
    flat = " ".join(flat.split())
    return flat if len(flat) <= _SHOWN_COMMENT_CHARS else flat[: _SHOWN_COMMENT_CHARS - 1] + "…"
