"""The project's own question sets (extra, PDF, follow-ups) load and their evidence is where they say.

Every gold quote must be found, the way the harness finds it (``locate_quote``), in the text
the index stores for its file; quotes from text files must also be exact substrings of the
raw file. This catches a reader change (say, to PDF line joining) that would silently turn
gold evidence into "quote not found" at evaluation time.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from minutes_qa.eval.questions import Question, load_questions
from minutes_qa.eval.relevance import locate_quote
from minutes_qa.index.readers import read_file
from support import REPO, SHARED_CORPUS

CORPUS_FOLDERS = ("seeds", "dev", "pdf")
QUESTION_FILES = ("extra_questions.jsonl", "pdf_questions.jsonl", "followups.jsonl")

def corpus_path(name: str) -> Path:
    for folder in CORPUS_FOLDERS:
        path = SHARED_CORPUS / folder / name
        if path.is_file():
            return path
    raise AssertionError(f"gold file {name} is in none of {CORPUS_FOLDERS} under {SHARED_CORPUS}")


@cache
def stored_text(name: str) -> str:
    return read_file(corpus_path(name)).text


def questions(file_name: str) -> list[Question]:
    return load_questions([REPO / "eval" / file_name])


@pytest.mark.parametrize("file_name", QUESTION_FILES)
def test_every_gold_quote_is_found_in_the_stored_text(file_name: str) -> None:
    missing = [
        f"{question.id}: {gold.quote[:70]!r} not in {gold.file}"
        for question in questions(file_name)
        for gold in question.gold
        if not locate_quote(stored_text(gold.file), gold.quote)
    ]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("file_name", QUESTION_FILES)
def test_text_file_quotes_are_exact_substrings_of_the_raw_file(file_name: str) -> None:
    inexact = [
        f"{question.id}: {gold.quote[:70]!r}"
        for question in questions(file_name)
        for gold in question.gold
        if gold.file.endswith(".txt") and gold.quote not in corpus_path(gold.file).read_text(encoding="utf-8")
    ]
    assert not inexact, "\n".join(inexact)


def test_extra_questions_keep_a_third_unanswerable() -> None:
    loaded = questions("extra_questions.jsonl")
    unanswerable = [question for question in loaded if not question.answerable]
    assert len(loaded) >= 48
    assert 3 * len(unanswerable) >= len(loaded)


def test_conversations_have_two_or_three_turns_and_start_afresh() -> None:
    lines = (REPO / "eval" / "followups.jsonl").read_text(encoding="utf-8").splitlines()
    conversations = [json.loads(line) for line in lines if line.strip()]
    assert len(conversations) >= 32
    for conversation in conversations:
        assert 2 <= len(conversation["turns"]) <= 3, conversation["id"]
        assert conversation["turns"][0]["followup"] is False, conversation["id"]
    turns = questions("followups.jsonl")
    later = [turn for turn in turns if turn.turn and turn.turn > 1]
    assert sum(not turn.followup for turn in later) >= 5  # new, self-contained topics
    assert sum(turn.followup and not turn.answerable for turn in later) >= 5
