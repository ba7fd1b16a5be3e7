"""Which questions failed which figure, and why: read from a report dict (pure).

Each figure of the report is a mean over questions; an analyst needs the questions
behind a low figure, with what went wrong, the answer given and the answer expected.
A question is listed under every figure it lost points on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Figure names in the order they are listed; the first two split the retrieval misses
# so that a question appears under one of them, not both.
FIGURES: tuple[str, ...] = (
    "not in top 5",
    "wrong top-1",
    "citation not supporting gold",
    "keywords missing",
    "answered though unanswerable",
    "abstained though answerable",
    "no direct answer",
    "direct answer without a keyword",
)


@dataclass(frozen=True)
class Failure:
    """One question that failed one figure under one configuration."""

    question_id: str
    type: str
    question: str
    reason: str
    answer: str
    expected: str


def expected_answer(entry: Mapping[str, Any]) -> str:
    """What a right answer looks like: the reference answer, else the first gold quote, else an abstention."""
    if not entry["answerable"]:
        return "(abstain: the minutes do not answer this)"
    if entry["reference_answer"]:
        return entry["reference_answer"]
    return f"(gold) {entry['gold'][0]['quote']}" if entry["gold"] else ""


def question_failures(entry: Mapping[str, Any], config: str) -> list[tuple[str, str]]:
    """(figure, reason) for every figure this report entry fails under ``config``, in :data:`FIGURES` order.

    Retrieval figures are only judged for answerable questions, which have gold to find.
    """
    result = entry["results"][config]
    metrics = result["metrics"]
    found: list[tuple[str, str]] = []
    if entry["answerable"]:
        rank = result["first_relevant_rank"]
        if rank is None or rank > 5:
            where = "no retrieved passage overlaps gold" if rank is None else f"first relevant passage at rank {rank}"
            found.append(("not in top 5", where))
        elif rank > 1:
            found.append(("wrong top-1", f"top passage not relevant; first relevant at rank {rank}"))
        bad = [f"[{citation['n']}]" for citation in result["citations"] if not citation["good"]]
        if bad:
            found.append(
                ("citation not supporting gold", f"{', '.join(bad)} of {len(result['citations'])} cite no gold passage")
            )
        if metrics["keywords_missing"]:
            found.append(("keywords missing", "missing: " + ", ".join(metrics["keywords_missing"])))
        if result["abstained"]:
            found.append(("abstained though answerable", "abstained"))
    elif not result["abstained"]:
        found.append(("answered though unanswerable", "answered instead of abstaining"))
    if metrics["direct_answer_given"] is False:
        found.append(("no direct answer", f"no direct answer for a {entry['type']} question"))
    if metrics["direct_answer_has_keyword"] is False:
        found.append(
            (
                "direct answer without a keyword",
                f"direct answer \u201c{result['direct_answer']['text']}\u201d holds none of: "
                + ", ".join(entry["keywords"]),
            )
        )
    return found


def failures_by_figure(report: Mapping[str, Any], config: str) -> dict[str, list[Failure]]:
    """Every figure of :data:`FIGURES` with the questions that failed it under ``config``, in question order."""
    grouped: dict[str, list[Failure]] = {figure: [] for figure in FIGURES}
    for entry in report["questions"]:
        for figure, reason in question_failures(entry, config):
            grouped[figure].append(
                Failure(
                    question_id=entry["id"],
                    type=entry["type"],
                    question=entry["question"],
                    reason=reason,
                    answer=entry["results"][config]["answer"],
                    expected=expected_answer(entry),
                )
            )
    return grouped
