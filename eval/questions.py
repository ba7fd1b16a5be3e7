"""Question sets: the JSONL format of ``eval/README.md`` read into typed records.

A question file is checked line by line; the first problem stops the load with an
error naming the file, the line and what to fix, because a silently skipped
question would make two runs' figures incomparable.

A line may also hold a conversation, ``{"id": ..., "turns": [<question>, ...]}``: it
flattens into its turns, in order, each knowing its conversation, its position and the
questions asked before it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

QUESTION_TYPES: tuple[str, ...] = (
    "factoid",
    "who",
    "when",
    "how-much",
    "how-many",
    "which",
    "yes-no",
    "decision",
    "summary",
    "multi-doc",
    "comparison",
    "unanswerable",
)


class QuestionFileError(ValueError):
    """A question file is malformed; names the file, the line and the problem."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        super().__init__(f"{path}, line {line}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class GoldQuote:
    """One piece of evidence: an exact substring of a corpus file."""

    file: str
    quote: str


@dataclass(frozen=True)
class Question:
    """One evaluation question, as written in a question file."""

    id: str
    question: str
    type: str
    answerable: bool
    gold: tuple[GoldQuote, ...]
    answer: str
    keywords: tuple[str, ...]
    source: str  # "file:line", so later errors (a quote not found) can point back here
    conversation: str | None = None  # the conversation id, for a turn of one
    turn: int | None = None  # 1-based position in the conversation
    history: tuple[str, ...] = ()  # the questions of the conversation's earlier turns, in order
    followup: bool = False  # the turn leans on earlier turns ("and who seconded it?")


def _require(record: dict[str, Any], name: str, kind: type, kind_name: str) -> Any:
    """The value of a required field, checked for type; raises ``ValueError`` with the problem."""
    if name not in record:
        raise ValueError(f"missing field '{name}'")
    value = record[name]
    if not isinstance(value, kind):
        raise ValueError(f"field '{name}' must be {kind_name}, got {type(value).__name__} {json.dumps(value)[:60]}")
    return value


def _parse_gold(items: list[Any]) -> tuple[GoldQuote, ...]:
    gold = []
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ValueError(f"gold item {position} must be an object with 'file' and 'quote'")
        try:
            file = _require(item, "file", str, "a string")
            quote = _require(item, "quote", str, "a string")
        except ValueError as error:
            raise ValueError(f"gold item {position}: {error}") from None
        if not file.strip() or not quote.strip():
            raise ValueError(f"gold item {position}: 'file' and 'quote' must not be empty")
        gold.append(GoldQuote(file=file, quote=quote))
    return tuple(gold)


def parse_question(record: Any, source: str) -> Question:
    """Check one decoded JSON line and turn it into a :class:`Question`.

    Raises ``ValueError`` describing the first problem found (without the location,
    which the caller adds).
    """
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    question_id = _require(record, "id", str, "a string")
    if not question_id.strip():
        raise ValueError("field 'id' must not be empty")
    text = _require(record, "question", str, "a string")
    if not text.strip():
        raise ValueError("field 'question' must not be empty")
    question_type = _require(record, "type", str, "a string")
    if question_type not in QUESTION_TYPES:
        raise ValueError(f"unknown type '{question_type}': use one of {', '.join(QUESTION_TYPES)}")
    answerable = _require(record, "answerable", bool, "true or false")
    gold = _parse_gold(_require(record, "gold", list, "a list"))
    keywords = _require(record, "keywords", list, "a list")
    if not all(isinstance(keyword, str) and keyword.strip() for keyword in keywords):
        raise ValueError("field 'keywords' must be a list of non-empty strings")
    answer = record.get("answer", "")
    if not isinstance(answer, str):
        raise ValueError(f"field 'answer' must be a string, got {type(answer).__name__}")
    if answerable and not gold:
        raise ValueError("an answerable question needs at least one gold quote in 'gold'")
    if not answerable and gold:
        raise ValueError("an unanswerable question must have 'gold': [] (it has evidence, so set 'answerable': true)")
    if (question_type == "unanswerable") != (not answerable):
        raise ValueError("'type': 'unanswerable' and 'answerable': false go together; make them agree")
    followup = record.get("followup", False)
    if not isinstance(followup, bool):
        raise ValueError(f"field 'followup' must be true or false, got {type(followup).__name__}")
    if followup:
        raise ValueError("'followup': true is for turns of a conversation (a line with 'id' and 'turns')")
    return Question(
        id=question_id,
        question=text,
        type=question_type,
        answerable=answerable,
        gold=gold,
        answer=answer,
        keywords=tuple(keywords),
        source=source,
    )


def parse_conversation(record: dict[str, Any], source: str) -> list[Question]:
    """Check one conversation line and flatten it into its turns, in order.

    A turn is a question object (:func:`parse_question`) that may also carry
    ``"followup": true``; the first turn cannot, having nothing to follow. A turn without
    an ``id`` is named ``<conversation id>-<position>``. Raises ``ValueError`` naming the
    turn with the first problem found.
    """
    conversation_id = _require(record, "id", str, "a string")
    if not conversation_id.strip():
        raise ValueError("field 'id' must not be empty")
    turns = _require(record, "turns", list, "a list")
    if not turns:
        raise ValueError(f"conversation '{conversation_id}' has no turns")
    questions: list[Question] = []
    for position, turn in enumerate(turns, start=1):
        try:
            if not isinstance(turn, dict):
                raise ValueError(f"expected a JSON object, got {type(turn).__name__}")
            followup = turn.get("followup", False)
            if not isinstance(followup, bool):
                raise ValueError(f"field 'followup' must be true or false, got {type(followup).__name__}")
            if followup and position == 1:
                raise ValueError("the first turn cannot be a follow-up: nothing comes before it")
            fields = {"id": f"{conversation_id}-{position}"} | {k: v for k, v in turn.items() if k != "followup"}
            question = parse_question(fields, f"{source} turn {position}")
        except ValueError as error:
            raise ValueError(f"conversation '{conversation_id}', turn {position}: {error}") from None
        questions.append(
            replace(
                question,
                conversation=conversation_id,
                turn=position,
                history=tuple(earlier.question for earlier in questions),
                followup=followup,
            )
        )
    return questions


def parse_line(record: Any, source: str) -> list[Question]:
    """The questions of one decoded JSON line: one question, or a conversation's turns."""
    if isinstance(record, dict) and "turns" in record:
        return parse_conversation(record, source)
    return [parse_question(record, source)]


def load_questions(paths: Iterable[Path]) -> list[Question]:
    """Read and check every question in the given JSONL files, in file order.

    Conversations flatten into their turns. Blank lines are allowed. Raises
    :class:`QuestionFileError` for the first bad line (invalid JSON, a missing or
    mistyped field, an unknown type, an answerable question without gold, a question or
    conversation id already used in any of the files) and ``FileNotFoundError`` for a
    missing file.
    """
    questions: list[Question] = []
    first_seen: dict[str, str] = {}
    conversations_seen: dict[str, str] = {}
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"Question file {path} does not exist.")
        with path.open(encoding="utf-8") as handle:
            for line_number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    problem = f"invalid JSON ({error.msg}, column {error.colno})"
                    raise QuestionFileError(path, line_number, problem) from None
                source = f"{path}:{line_number}"
                try:
                    parsed = parse_line(record, source)
                except ValueError as error:
                    raise QuestionFileError(path, line_number, str(error)) from None
                conversation = parsed[0].conversation
                if conversation is not None:
                    if conversation in conversations_seen:
                        first = conversations_seen[conversation]
                        problem = f"duplicate conversation id '{conversation}' (first used at {first})"
                        raise QuestionFileError(path, line_number, problem)
                    conversations_seen[conversation] = source
                for question in parsed:
                    if question.id in first_seen:
                        raise QuestionFileError(
                            path, line_number, f"duplicate id '{question.id}' (first used at {first_seen[question.id]})"
                        )
                    first_seen[question.id] = question.source
                    questions.append(question)
    if not questions:
        raise ValueError("The question files hold no questions.")
    return questions
