"""Splitting a multi-part question into the parts an answer must each cover (pure functions).

"Who proposed and who seconded the motion?", "What was agreed and how much will it cost?",
"How much was spent in 2018 and in 2023?": each part needs its own evidence, or the answer
says which part the minutes don't give.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_QUESTION_WORD = r"(?:who|whom|what|which|when|where|why|how|did|does|do|is|are|was|were|has|have)"
# "..., and who seconded it", "... and what happens if...": a second question joined by "and".
_JOINED_QUESTION = re.compile(
    rf"(?:,\s*|\s+)(?:and|but)\s+(?=(?:(?:for|by|at|in|from|to|on|with)\s+)?{_QUESTION_WORD}\b)", re.I
)
# "in 2018 and in 2023", "in 2018 and 2023": one question asked of two periods.
_TWO_YEARS = re.compile(r"\b(in|for|during)\s+(\d{4}(?:/\d{2,4})?)\s+and\s+(?:in\s+)?(\d{4}(?:/\d{2,4})?)\b", re.I)


@dataclass(frozen=True)
class QuestionPart:
    """One part of a question, readable on its own."""

    text: str


def question_parts(question: str) -> list[QuestionPart]:
    """The parts of ``question`` (one part when it asks one thing)."""
    years = _TWO_YEARS.search(question)
    if years:
        preposition, first, second = years.groups()
        return [
            QuestionPart(question[: years.start()] + f"{preposition} {year}" + question[years.end() :])
            for year in (first, second)
        ]
    pieces = [piece.strip(" ,?") for piece in _JOINED_QUESTION.split(question)]
    pieces = [piece for piece in pieces if piece]
    if len(pieces) < 2:
        return [QuestionPart(question)]
    # "Who proposed and who seconded the motion?": the first part borrows the object of the last.
    tail = _shared_object(pieces[-1])
    return [QuestionPart(_completed(piece, tail) + "?") for piece in pieces]


def _shared_object(last: str) -> str:
    words = last.split()
    return " ".join(words[2:]) if len(words) > 2 else ""


def _completed(piece: str, tail: str) -> str:
    return f"{piece} {tail}" if len(piece.split()) <= 2 and tail else piece
