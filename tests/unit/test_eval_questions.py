"""Loading question sets: valid files load, malformed ones fail naming file, line and problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minutes_qa.eval.questions import QUESTION_TYPES, QuestionFileError, load_questions
from support import REPO

SHARED = REPO.parent / "shared"
SAMPLE_QUESTIONS = REPO / "eval" / "sample_questions.jsonl"


def good(**changes: object) -> dict:
    record = {
        "id": "q-1",
        "question": "Who chairs the board?",
        "type": "who",
        "answerable": True,
        "gold": [{"file": "a.txt", "quote": "The chair is Ann."}],
        "answer": "Ann.",
        "keywords": ["Ann"],
    }
    record.update(changes)
    return record


def write_lines(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_valid_file_loads_with_blank_lines_allowed(tmp_path: Path) -> None:
    unanswerable = good(id="q-2", type="unanswerable", answerable=False, gold=[], keywords=[])
    path = write_lines(tmp_path, json.dumps(good()), "", json.dumps(unanswerable))
    questions = load_questions([path])
    assert [question.id for question in questions] == ["q-1", "q-2"]
    assert questions[0].gold[0].quote == "The chair is Ann."
    assert questions[0].source == f"{path}:1"
    assert questions[1].answerable is False and questions[1].gold == ()


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({k: v for k, v in good().items() if k != "question"}), "missing field 'question'"),
        (json.dumps(good(answerable="yes")), "field 'answerable' must be true or false"),
        (json.dumps(good(keywords="Ann")), "field 'keywords' must be a list"),
        (json.dumps(good(keywords=[3])), "'keywords' must be a list of non-empty strings"),
        (json.dumps(good(type="opinion")), "unknown type 'opinion'"),
        (json.dumps(good(gold=[])), "answerable question needs at least one gold quote"),
        (json.dumps(good(gold=[{"file": "a.txt"}])), "gold item 1: missing field 'quote'"),
        (json.dumps(good(gold=[{"file": "a.txt", "quote": "  "}])), "must not be empty"),
        (json.dumps(good(type="unanswerable", answerable=False)), "must have 'gold': []"),
        (json.dumps(good(type="unanswerable")), "go together"),
    ],
)
def test_malformed_line_names_file_line_and_problem(tmp_path: Path, line: str, problem: str) -> None:
    path = write_lines(tmp_path, json.dumps(good(id="first")), line)
    with pytest.raises(QuestionFileError) as caught:
        load_questions([path])
    assert caught.value.path == path
    assert caught.value.line == 2
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"{path}, line 2: ")


def test_duplicate_id_across_files_is_rejected(tmp_path: Path) -> None:
    first = tmp_path / "one.jsonl"
    first.write_text(json.dumps(good()) + "\n", encoding="utf-8")
    second = tmp_path / "two.jsonl"
    second.write_text(json.dumps(good()) + "\n", encoding="utf-8")
    expected = r"two\.jsonl, line 1: duplicate id 'q-1' \(first used at .*one\.jsonl:1\)"
    with pytest.raises(QuestionFileError, match=expected):
        load_questions([first, second])


def test_missing_and_empty_files_fail(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_questions([tmp_path / "absent.jsonl"])
    with pytest.raises(ValueError, match="no questions"):
        load_questions([write_lines(tmp_path, "")])


def test_shared_question_sets_load() -> None:
    paths = [SHARED / "eval" / "seeds.jsonl", SHARED / "eval" / "dev.jsonl"]
    questions = load_questions(paths)
    lines = sum(1 for path in paths for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    assert len(questions) == lines
    # The shared sets use every type but the short-answer ones added for the project's own sets.
    assert {question.type for question in questions} == set(QUESTION_TYPES) - {"how-many", "which", "yes-no"}


def test_sample_question_set_loads_and_is_small_with_two_unanswerable() -> None:
    questions = load_questions([SAMPLE_QUESTIONS])
    assert 10 <= len(questions) <= 15
    assert sum(not question.answerable for question in questions) == 2


def test_sample_questions_are_written_for_the_project_not_copied() -> None:
    shared = load_questions([SHARED / "eval" / "seeds.jsonl", SHARED / "eval" / "dev.jsonl"])
    shared_texts = {question.question.casefold() for question in shared}
    assert not any(question.question.casefold() in shared_texts for question in load_questions([SAMPLE_QUESTIONS]))


def conversation(**changes: object) -> dict:
    record = {
        "id": "conv-1",
        "turns": [
            good(id="c1-a", question="Who chairs the board?"),
            {k: v for k, v in good(question="And who is vice-chair?", followup=True).items() if k != "id"},
            good(id="c1-c", question="When was that agreed?", type="when", followup=True),
        ],
    }
    record.update(changes)
    return record


def test_conversation_flattens_into_its_turns_in_order(tmp_path: Path) -> None:
    path = write_lines(tmp_path, json.dumps(good(id="solo")), json.dumps(conversation()))
    solo, first, second, third = load_questions([path])
    assert (solo.conversation, solo.turn, solo.history, solo.followup) == (None, None, (), False)
    assert [turn.id for turn in (first, second, third)] == ["c1-a", "conv-1-2", "c1-c"]
    assert {turn.conversation for turn in (first, second, third)} == {"conv-1"}
    assert [turn.turn for turn in (first, second, third)] == [1, 2, 3]
    assert [turn.followup for turn in (first, second, third)] == [False, True, True]
    assert third.history == ("Who chairs the board?", "And who is vice-chair?")
    assert first.history == ()
    assert third.type == "when" and third.source == f"{path}:2 turn 3"


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        (conversation(turns=[]), "conversation 'conv-1' has no turns"),
        (conversation(turns="Who?"), "field 'turns' must be a list"),
        (conversation(id=""), "field 'id' must not be empty"),
        (conversation(turns=[good(followup=True)]), "turn 1: the first turn cannot be a follow-up"),
        (conversation(turns=[good(), "Who?"]), "turn 2: expected a JSON object"),
        (conversation(turns=[good(), good(id="q-2", followup="yes")]), "turn 2: field 'followup' must be true"),
        (conversation(turns=[good(), good(id="q-2", type="opinion")]), "conversation 'conv-1', turn 2: unknown type"),
        (good(followup=True), "'followup': true is for turns of a conversation"),
    ],
)
def test_malformed_conversation_names_line_turn_and_problem(tmp_path: Path, record: dict, problem: str) -> None:
    path = write_lines(tmp_path, json.dumps(good(id="first")), json.dumps(record))
    with pytest.raises(QuestionFileError) as raised:
        load_questions([path])
    assert raised.value.line == 2
    assert problem in raised.value.problem


def test_turn_ids_and_conversation_ids_must_be_unique(tmp_path: Path) -> None:
    clash = write_lines(tmp_path, json.dumps(good(id="c1-a")), json.dumps(conversation()))
    with pytest.raises(QuestionFileError, match="line 2: duplicate id 'c1-a'"):
        load_questions([clash])
    other = conversation(turns=[good(id="other-1")])
    repeated = write_lines(tmp_path, json.dumps(conversation()), json.dumps(other))
    with pytest.raises(QuestionFileError, match=r"line 2: duplicate conversation id 'conv-1' \(first used at .*:1\)"):
        load_questions([repeated])
