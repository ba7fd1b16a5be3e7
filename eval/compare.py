"""``minutes eval --compare A/report.json B/report.json``: what changed between two runs.

Pure comparison of two report dicts (:func:`compare_reports`), then a rich rendering
(:func:`render_comparison`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from .metrics import SUMMARY_KEYS
from .report import format_figure, metric_label

# The per-question figures whose changes are listed.
TRACKED_FIELDS: tuple[str, ...] = ("hit@5", "first relevant rank", "abstained", "citation precision")


@dataclass(frozen=True)
class QuestionChange:
    """One per-question figure that differs between run A and run B."""

    question_id: str
    config: str
    field: str
    before: Any
    after: Any
    better: bool | None  # None when the figure is unmeasured in one run, so no direction applies


@dataclass
class Comparison:
    """Everything that differs between two reports."""

    configs: list[str]
    metric_deltas: dict[str, dict[str, tuple[float | None, float | None]]]  # config -> key -> (A, B)
    changes: list[QuestionChange] = field(default_factory=list)
    only_in_a: list[str] = field(default_factory=list)  # question ids
    only_in_b: list[str] = field(default_factory=list)
    configs_only_in_a: list[str] = field(default_factory=list)
    configs_only_in_b: list[str] = field(default_factory=list)
    k: tuple[int, int] = (0, 0)


def _tracked(entry: Mapping[str, Any], config: str) -> dict[str, Any]:
    result = entry["results"][config]
    return {
        "hit@5": result["metrics"].get("hit@5"),
        "first relevant rank": result["first_relevant_rank"],
        "abstained": result["abstained"],
        "citation precision": result["metrics"]["citation_precision"],
    }


def _better(field_name: str, before: Any, after: Any, answerable: bool) -> bool | None:
    """Whether the change from ``before`` to ``after`` is an improvement."""
    if field_name == "abstained":
        # Abstaining is right only for unanswerable questions.
        return after == (not answerable)
    if field_name == "first relevant rank":
        if before is None or after is None:
            return after is not None
        return after < before
    if before is None or after is None:
        return None
    return after > before


def compare_reports(a: Mapping[str, Any], b: Mapping[str, Any]) -> Comparison:
    """Compare run A with run B: summary deltas per shared configuration and per-question changes."""
    configs = [config for config in a["configs"] if config in b["configs"]]
    comparison = Comparison(
        configs=configs,
        metric_deltas={
            config: {
                key: (a["configs"][config]["overall"].get(key), b["configs"][config]["overall"].get(key))
                for key in SUMMARY_KEYS
            }
            for config in configs
        },
        configs_only_in_a=[config for config in a["configs"] if config not in b["configs"]],
        configs_only_in_b=[config for config in b["configs"] if config not in a["configs"]],
        k=(a["meta"]["k"], b["meta"]["k"]),
    )
    b_entries = {entry["id"]: entry for entry in b["questions"]}
    a_ids = {entry["id"] for entry in a["questions"]}
    comparison.only_in_a = [entry["id"] for entry in a["questions"] if entry["id"] not in b_entries]
    comparison.only_in_b = [entry["id"] for entry in b["questions"] if entry["id"] not in a_ids]
    for a_entry in a["questions"]:
        b_entry = b_entries.get(a_entry["id"])
        if b_entry is None:
            continue
        for config in configs:
            before, after = _tracked(a_entry, config), _tracked(b_entry, config)
            for field_name in TRACKED_FIELDS:
                if before[field_name] != after[field_name]:
                    comparison.changes.append(
                        QuestionChange(
                            question_id=a_entry["id"],
                            config=config,
                            field=field_name,
                            before=before[field_name],
                            after=after[field_name],
                            better=_better(field_name, before[field_name], after[field_name], a_entry["answerable"]),
                        )
                    )
    return comparison


def _show(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _delta_cell(key: str, before: float | None, after: float | None) -> str:
    """``"A -> B (+change)"``, or just the figure when it did not change."""
    if before == after:
        return format_figure(key, after)
    shown = f"{format_figure(key, before)} -> {format_figure(key, after)}"
    if before is None or after is None:
        return shown
    sign = "+" if after >= before else "-"
    return f"{shown} ({sign}{format_figure(key, abs(after - before))})"


def render_comparison(comparison: Comparison, label_a: str, label_b: str) -> Group:
    """The comparison as rich renderables: a delta table per shared configuration, then the changes."""
    parts: list[Any] = []
    if comparison.k[0] != comparison.k[1]:
        parts.append(Text(f"Warning: the runs used different k ({comparison.k[0]} vs {comparison.k[1]}).", "yellow"))
    if comparison.configs:
        table = Table(title=Text(f"A = {label_a}\nB = {label_b}"))
        table.add_column("figure")
        for config in comparison.configs:
            table.add_column(Text(f"{config}: A -> B"), justify="right")
        for key in SUMMARY_KEYS:
            table.add_row(
                metric_label(key, comparison.k[1]),
                *(_delta_cell(key, *comparison.metric_deltas[config][key]) for config in comparison.configs),
            )
        parts.append(table)
    if comparison.changes:
        table = Table(title="Questions that changed")
        for column in ("question", "config", "figure", "A", "B", ""):
            table.add_column(column)
        for change in comparison.changes:
            verdict = {True: Text("better", "green"), False: Text("worse", "red"), None: Text("")}[change.better]
            before, after = _show(change.before), _show(change.after)
            table.add_row(Text(change.question_id), Text(change.config), change.field, before, after, verdict)
        parts.append(table)
    else:
        parts.append(Text("No question changed on hit@5, first relevant rank, abstention or citation precision."))
    for label, items in (
        (f"Questions only in {label_a}", comparison.only_in_a),
        (f"Questions only in {label_b}", comparison.only_in_b),
        (f"Configurations only in {label_a}", comparison.configs_only_in_a),
        (f"Configurations only in {label_b}", comparison.configs_only_in_b),
    ):
        if items:
            parts.append(Text(f"{label}: {', '.join(items)}"))
    return Group(*parts)
