"""Answer units, direct answers and question parts (pure logic, no model)."""

from __future__ import annotations

import pytest

from minutes_qa.rag.answer_kinds import expected_answer, person_spans
from minutes_qa.rag.direct import direct_answer_in
from minutes_qa.rag.question_parts import question_parts
from minutes_qa.rag.units import answer_units, is_lead_in

LIST_MINUTES = (
    "Minutes:\n\n"
    "It was noted that the Annual Report fulfilled one of the Board's three core statutory duties which were to:\n\n"
    "  • Develop and publish a strategic plan;\n"
    "  • Publish an Annual Report; and\n"
    "  • Commission safeguarding adults reviews.\n\n"
    "The Board thanked the Chair for the report."
)


def _quotes(text: str) -> list[str]:
    return [text[unit.start : unit.end] for unit in answer_units(text, 120)]


def test_a_lead_in_brings_its_list_and_headings_are_left_out() -> None:
    quotes = _quotes(LIST_MINUTES)
    assert quotes[0].startswith("It was noted") and quotes[0].endswith("Commission safeguarding adults reviews.")
    assert quotes[1] == "The Board thanked the Chair for the report."
    assert all(quote != "Minutes:" for quote in quotes)


def test_a_resolution_heading_brings_its_numbered_decisions() -> None:
    text = "RESOLVED:\n\n1. That the report be noted.\n\n2. That the Carbon Action Plan be adopted.\n\nNext item follows here."
    assert _quotes(text)[0] == text[: text.index("\n\nNext")]


def test_a_line_cut_mid_clause_runs_on() -> None:
    text = "Proposed by Councillor Whybrow,\nSeconded by Councillor Prater and\nRESOLVED: That the plan be adopted."
    assert _quotes(text)[0].startswith("Proposed by Councillor Whybrow,\nSeconded by Councillor Prater and")


def test_units_are_exact_slices() -> None:
    for unit in answer_units(LIST_MINUTES, 120):
        assert LIST_MINUTES[unit.start : unit.end].strip() == LIST_MINUTES[unit.start : unit.end]


@pytest.mark.parametrize(
    ("sentence", "lead_in"),
    [
        ("The following points were made:", True),
        ("RESOLVED that", True),
        ("Minutes:", False),
        ("The Board noted the report.", False),
    ],
)
def test_lead_ins(sentence: str, lead_in: bool) -> None:
    assert is_lead_in(sentence) is lead_in


@pytest.mark.parametrize(
    ("question", "quote", "direct"),
    [
        (
            "Who moved and who seconded the adoption of the plan?",
            "It was proposed by Councillor Whybrow and seconded by Councillor Prater (carried 9 for, 0 against).",
            "Councillor Whybrow and seconded by Councillor Prater",
        ),
        (
            "How big was the unallocated reserve?",
            "The Committee expressed concern that such a large unallocated reserve (£7million) was being spent.",
            "£7million",
        ),
        ("When is the strategy due to be published?", "The Strategy would be published in April 2023.", "April 2023"),
        (
            "Are the acute mental health beds at Mill View being reopened?",
            "The Clinical Review Group decided on balance not to re-open the beds at Mill View.",
            "No",
        ),
        ("Who briefed the board?", "Fana Hussain (Assistant Director Primary Care) introduced the report.", "Fana Hussain"),
    ],
)
def test_direct_answers_are_the_words_of_the_quote(question: str, quote: str, direct: str) -> None:
    expectation = expected_answer(question)
    assert expectation is not None
    assert direct_answer_in(question, expectation, quote) == direct
    assert direct in ("Yes", "No") or direct in quote


def test_no_direct_answer_without_the_kind_asked_for() -> None:
    question = "How much was set aside?"
    expectation = expected_answer(question)
    assert expectation is not None
    assert direct_answer_in(question, expectation, "Members discussed the reserve at length.") is None


def test_places_named_after_people_are_not_people() -> None:
    text = "Slides on George Eliot Hospital NHS Trust were shown by Laura Gibson."
    assert [text[start:end] for start, end in person_spans(text)] == ["Laura Gibson"]


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("Who proposed and who seconded the motion?", ["Who proposed the motion?", "who seconded the motion?"]),
        (
            "What uplift did the cabinet agree, and what happens if a home turns the fee down?",
            ["What uplift did the cabinet agree?", "what happens if a home turns the fee down?"],
        ),
        ("How much was spent in 2018 and in 2023?", ["How much was spent in 2018?", "How much was spent in 2023?"]),
        ("What did the board say about workforce risk?", ["What did the board say about workforce risk?"]),
    ],
)
def test_question_parts(question: str, parts: list[str]) -> None:
    assert [part.text for part in question_parts(question)] == parts
