"""Answer units, direct answers and question parts (pure logic, no model)."""

from __future__ import annotations

import numpy as np
import pytest

from minutes_qa.contract import Passage, Source
from minutes_qa.rag.answer import compose_answer
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


def test_a_question_raised_and_its_reply_are_one_unit() -> None:
    text = (
        "People were confused as to the purpose of the Ambulatory Care Unit. It was clarified that the Unit was "
        "for GPs to send patients they were concerned about. The Board noted the report."
    )
    quotes = _quotes(text)
    assert quotes[0].endswith("patients they were concerned about.")
    assert quotes[1] == "The Board noted the report."
    replied = "Members asked about waiting times. The Director responded that they had fallen by a week."
    assert _quotes(replied) == [replied]
    # A reply starts the sentence after a question: a sentence that merely follows is its own unit.
    unrelated = "Members asked about waiting times. The Board then moved on to the budget item."
    assert len(_quotes(unrelated)) == 2


def test_a_list_item_raising_a_question_keeps_its_reply() -> None:
    text = (
        "Board members made the following points:\n"
        "· Finances were still unclear\n"
        "· People were confused as to the purpose of the Unit.\n"
        "It was clarified that the Unit was for GPs to send patients to."
    )
    assert _quotes(text)[0] == text


def test_a_sentence_saying_what_a_proposal_would_be_goes_with_it() -> None:
    text = (
        "It was suggested that an alternative simplified document be produced. This could be a heat map "
        "document that would highlight the most significant risks. Members thanked the officer."
    )
    quotes = _quotes(text)
    assert quotes[0].endswith("most significant risks.") and quotes[1] == "Members thanked the officer."


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
        # The figure of the entry that names what was asked, not the nearest one of the entry before.
        (
            "How much were the county's street lighting charges for 2019/20?",
            "ii) Bank statement dated 15/01/2019, credit balance of £71.49. | Noted iii) County Council re street "
            "lighting charges for 2019/20 calculated at £4,303.89 | Noted",
            "£4,303.89",
        ),
        (
            "How much did the council end up paying in legal fees?",
            "The budget allows £1000 to cover legal fees and £500 to cover the cost of road repairs.",
            "£1000",
        ),
        ("How much did the village hall table sale make?", "Table Sale raised £273, well attended.", "£273"),
        ("Who was clerk to the parish council?", "Present: Cllr Edwards (Chairman), Cllr Jones. Clerk: Tom Brindley.", "Tom Brindley"),
        ("Who chaired the meeting?", "Present: Cllr Edwards (Chairman), Cllr Jones.", "Cllr Edwards"),
        (
            "Who took over as chair of the partnership board?",
            "Mr Lee thanked the board. Jo-anne Alner explained that staff had been released and as a result she "
            "would now Chair the Partnership Board.",
            "Jo-anne Alner",
        ),
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


def test_no_holder_of_an_office_from_a_name_far_from_it() -> None:
    question = "Who was clerk to the parish council in January?"
    expectation = expected_answer(question)
    assert expectation is not None
    quote = "Play areas: Cllr Jones gave the weekly inspection record for 2011 to the clerk for filing."
    assert direct_answer_in(question, expectation, quote) is None


def test_yes_or_no_only_from_a_decision_on_what_was_asked() -> None:
    question = "Has Solihull's health and wellbeing board signed off a suicide prevention action plan?"
    expectation = expected_answer(question)
    assert expectation is not None
    elsewhere = (
        "They noted how the Council offered debt advice and support – they queried whether the staff "
        "delivering this service had received mental health training."
    )
    assert direct_answer_in(question, expectation, elsewhere) is None
    decided = "RESOLVED that the suicide prevention action plan be signed off."
    assert direct_answer_in(question, expectation, decided) == "Yes"


def test_no_yes_or_no_from_a_decision_that_only_takes_note() -> None:
    question = "Did the community council's Big Lottery bid for four defibrillators succeed?"
    expectation = expected_answer(question)
    assert expectation is not None
    noted = "Big Lottery Fund, acknowledgement of receipt of grant application for four defibrillators. | Noted"
    assert direct_answer_in(question, expectation, noted) is None
    won = "The Big Lottery bid for four defibrillators was successful."
    assert direct_answer_in(question, expectation, won) == "Yes"


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
        (
            "How much of the underspend went to other directorates, and for how many proposals?",
            ["How much of the underspend went to other directorates?", "for how many proposals?"],
        ),
        ("Was the decision called in, and by how many members?", ["Was the decision called in?", "by how many members?"]),
        ("What did the board decide about care and support for carers?", ["What did the board decide about care and support for carers?"]),
    ],
)
def test_question_parts(question: str, parts: list[str]) -> None:
    assert [part.text for part in question_parts(question)] == parts


def test_minutes_of_unknown_council_are_quoted_when_their_document_names_the_council() -> None:
    def passage(doc_id: str, rank: int, text: str) -> Passage:
        source = Source(doc_id=doc_id, file=f"{doc_id}.txt", start=0, end=len(text), council=None)
        return Passage(id=f"{doc_id}-{rank}", rank=rank, score=1.0, text=text, source=source)

    # The first passage is a later chunk of minutes that name Hammersmith only in an earlier chunk.
    answer = passage("hf", 1, "Keith Mallinson asked why there was no one from the Mental Health Trust on the board.")
    named = passage("other", 2, "Hammersmith and Fulham officers talked about new care models in the borough.")

    def similarity(spans: list[tuple[Passage, int, int]]) -> np.ndarray:
        return np.full(len(spans), 0.5)

    question = "At the Hammersmith and Fulham board, who raised the lack of mental health trust members?"
    councils = frozenset({"London Borough of Hammersmith & Fulham"})
    without = compose_answer(question, (), [answer, named], similarity, 120, named_councils=councils)
    assert "Mallinson" not in without.answer
    with_document = compose_answer(
        question, (), [answer, named], similarity, 120, named_councils=councils, naming_documents=frozenset({"hf"})
    )
    assert "Keith Mallinson" in with_document.answer
    assert all(citation.quote in answer.text or citation.quote in named.text for citation in with_document.citations)


def test_a_figure_of_another_year_is_not_quoted_beside_the_asked_one() -> None:
    text = "It was RESOLVED to set a precept of £11,400 for the financial year 2012/13. In 2011 the precept was £10,400."
    source = Source(doc_id="pc", file="pc.txt", start=0, end=len(text))
    passage = Passage(id="pc-1", rank=1, score=1.0, text=text, source=source)

    def similarity(spans: list[tuple[Passage, int, int]]) -> np.ndarray:
        return np.full(len(spans), 0.5)

    composed = compose_answer("What precept did the parish council set for 2012/13?", (), [passage], similarity, 120)
    assert [citation.quote for citation in composed.citations] == [
        "It was RESOLVED to set a precept of £11,400 for the financial year 2012/13."
    ]
