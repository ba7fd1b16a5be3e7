"""Stored feedback as evaluation questions and as counts (pure functions).

An answer rated good offers its cited quotes, with their files, as candidate gold evidence; an
answer rated bad offers nothing: its gold is left empty for an analyst to find. Every exported
question says it needs review (``needs_review`` and a ``review`` note), and its ``type`` is
only guessed from the question's wording; keywords are left for the analyst to write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from minutes_qa.rag.answer_kinds import AnswerKind, expected_answer
from minutes_qa.server.feedback_store import StoredFeedback

_TYPE_OF_KIND = {
    AnswerKind.MONEY: "how-much",
    AnswerKind.PERCENT: "how-much",
    AnswerKind.NUMBER: "how-many",
    AnswerKind.PERSON: "who",
    AnswerKind.DATE: "when",
    AnswerKind.OUTCOME: "decision",
}

REVIEW_GOOD = (
    "Rated good. The gold quotes are the answer's citations: keep only those that answer the question, "
    "check the type and write the keywords."
)
REVIEW_GOOD_ABSTENTION = (
    "Rated good although the service found no answer: confirm the minutes do not answer it before keeping it "
    "as unanswerable."
)
REVIEW_GOOD_FILES_GONE = (
    "Rated good, but the cited documents have left the index, so no gold can be offered: find the evidence."
)
REVIEW_BAD = (
    "Rated bad; nothing is offered as gold. Find the evidence in the minutes (gold), or set type 'unanswerable' "
    "and answerable false if they do not answer it."
)


def eval_record(entry: StoredFeedback) -> dict[str, Any]:
    """One line of a question set (``../shared/eval/README.md``) for one piece of feedback.

    The question is the one the service answered (``interpreted_as``, standalone even for a
    follow-up). A good answer's citations become gold (file and exact quote, duplicates once); a
    good abstention becomes an unanswerable question; a bad answer gets ``gold: []``, which the
    question loader refuses until an analyst has reviewed it.
    """
    rated = entry.rated
    gold: list[dict[str, str]] = []
    if entry.rating == "up" and rated.abstained:
        kind, answerable, review = "unanswerable", False, REVIEW_GOOD_ABSTENTION
    elif entry.rating == "up":
        for citation in rated.citations:
            file = entry.files.get(citation.passage_id)
            if not file:
                continue
            item = {"file": file, "quote": citation.quote}
            if item not in gold:
                gold.append(item)
        kind, answerable = question_type(rated.interpreted_as), True
        review = REVIEW_GOOD if gold else REVIEW_GOOD_FILES_GONE
    else:
        kind, answerable, review = question_type(rated.interpreted_as), True, REVIEW_BAD
    return {
        "id": f"feedback-{entry.id:06d}",
        "question": rated.interpreted_as,
        "type": kind,
        "answerable": answerable,
        "gold": gold,
        "answer": "" if rated.abstained else rated.answer,
        "keywords": [],
        "needs_review": True,
        "review": review,
        "feedback": {
            "rating": entry.rating,
            "comment": entry.comment,
            "asked": rated.question,
            "answer_id": entry.answer_id,
            "generation": entry.generation,
            "received_at": entry.received_at.isoformat(),
        },
    }


def question_type(question: str) -> str:
    """The question-set type the wording suggests: who / when / how-much / how-many / yes-no /
    decision, else summary."""
    expectation = expected_answer(question)
    if expectation is None:
        return "summary"
    if expectation.yes_no:
        return "yes-no"
    return _TYPE_OF_KIND[expectation.kind]


@dataclass(frozen=True)
class FeedbackCounts:
    """Feedback counted by rating, overall and over the last seven days."""

    total: int
    up: int
    down: int
    with_comment: int
    abstentions_rated: int
    last_7_days: int
    last_7_days_up: int
    last_7_days_down: int


def count_feedback(entries: list[StoredFeedback], now: datetime) -> FeedbackCounts:
    """Counts over ``entries``; "the last seven days" ends at ``now`` (timezone-aware)."""
    recent = [entry for entry in entries if entry.received_at > now - timedelta(days=7)]
    return FeedbackCounts(
        total=len(entries),
        up=sum(entry.rating == "up" for entry in entries),
        down=sum(entry.rating == "down" for entry in entries),
        with_comment=sum(entry.comment is not None for entry in entries),
        abstentions_rated=sum(entry.rated.abstained for entry in entries),
        last_7_days=len(recent),
        last_7_days_up=sum(entry.rating == "up" for entry in recent),
        last_7_days_down=sum(entry.rating == "down" for entry in recent),
    )
