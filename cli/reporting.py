"""Terminal output of the ``minutes`` command (rich); nothing here computes results."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from minutes_qa.contract import AskResponse, Passage, SearchResponse
from minutes_qa.index.ingest import IngestReport
from minutes_qa.rag.engine import Engine


def print_ingest_report(console: Console, report: IngestReport, index_dir: Path) -> None:
    table = Table(title=f"Ingest into {index_dir}", show_header=False)
    for label, items in (("added", report.added), ("updated", report.updated),
                         ("unchanged (skipped)", report.unchanged), ("removed", report.removed),
                         ("failed", report.failed)):
        table.add_row(label, str(len(items)))
    table.add_row("documents in index", str(report.documents))
    table.add_row("passages in index", str(report.chunks))
    table.add_row("duplicate passages", str(report.duplicates))
    table.add_row("passages embedded", str(report.embedded_chunks))
    table.add_row("time", f"{report.seconds:.1f} s")
    console.print(table)
    if report.skipped_unsupported:
        console.print(f"[yellow]Skipped {len(report.skipped_unsupported)} file(s) of unsupported type[/], e.g. "
                      f"{escape(report.skipped_unsupported[0])}")
    for warning in report.warnings:
        console.print(f"[yellow]Warning:[/] {escape(warning)}")
    for path, reason in report.failed:
        console.print(f"[red]Could not read[/] {escape(path)}: {escape(reason)}")
    if not report.changed:
        console.print("Nothing changed: the index is up to date.")


def print_index_info(console: Console, engine: Engine, as_json: bool) -> None:
    manifest = engine.reader.manifest
    facets = engine.facets()
    info = {
        "index": str(engine.index_dir),
        "generation": manifest.generation,
        "built_at": manifest.built_at,
        "model": manifest.model,
        "backend": manifest.backend,
        "dimension": manifest.dimension,
        "index_type": manifest.index_type,
        "documents": manifest.documents,
        "passages": manifest.chunks,
        "duplicate_passages": manifest.duplicates,
        "committees": facets.committees,
        "councils": facets.councils,
        "earliest_meeting": facets.earliest,
        "latest_meeting": facets.latest,
    }
    if as_json:
        print(json.dumps(info, indent=2))
        return
    table = Table(title="Index", show_header=False)
    for key, value in info.items():
        shown = ", ".join(value) if isinstance(value, list) else str(value)
        table.add_row(key.replace("_", " "), escape(shown or "—"))
    console.print(table)


def print_search(console: Console, result: SearchResponse) -> None:
    if not result.passages:
        console.print("No passages found.")
    for passage in result.passages:
        console.print(Panel(escape(" ".join(passage.text.split())), title=_source_line(passage), title_align="left"))


def print_answer(console: Console, result: AskResponse) -> None:
    style = "yellow" if result.abstained else "green"
    if result.interpreted_as != result.question:
        console.print(f"[dim]Answered as:[/] [italic]{escape(result.interpreted_as)}[/]")
    body = result.answer
    if result.direct_answer is not None:
        # The answer text opens with the direct answer; it is shown once, prominently, above the rest.
        opening = f"{' '.join(result.direct_answer.text.split())} [{result.direct_answer.citation}]"
        console.print(Panel(f"[bold]{escape(opening)}[/]", title="Direct answer", border_style=style, title_align="left"))
        body = body.removeprefix(opening).lstrip("\n")
    console.print(Panel(escape(body), title="Answer", border_style=style))
    for suggestion in result.suggestions:
        console.print(f"  • {escape(suggestion)}")
    by_id = {passage.id: passage for passage in result.passages}
    for citation in result.citations:
        passage = by_id[citation.passage_id]
        console.print(f"[bold][{citation.n}][/] {_source_line(passage)}")
        console.print(f"    “{escape(' '.join(citation.quote.split()))}”")


def _source_line(passage: Passage) -> str:
    source = passage.source
    parts = [source.council, source.committee, source.meeting_date, source.title,
             f"page {source.page}" if source.page else None]
    described = " · ".join(escape(part) for part in parts if part)
    location = f"{escape(source.file)} [{source.start}:{source.end}]"
    link = f" {escape(source.url)}" if source.url else ""
    return f"#{passage.rank} {described} — {location}{link}"
