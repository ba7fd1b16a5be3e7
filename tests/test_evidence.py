"""Evidence for abstention and re-ranking: answer kinds, named councils, best-sentence support (pure logic)."""

from __future__ import annotations

import pytest

from rag.answer_kinds import AnswerKind, expected_answer, holds_answer, names_person
from rag.contract import Passage, Source
from rag.evidence import best_sentence_support, evidence_score
from rag.places import Places, concerns, place_name
from rag.rerank import rerank


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How much is the council cutting from its youth service budget?", AnswerKind.MONEY),
        ("What is the average weekly cost of a residential placement?", AnswerKind.MONEY),
        ("What did temporary accommodation cost in 2024/25?", AnswerKind.MONEY),
        ("What percentage of plans were issued within 20 weeks?", AnswerKind.PERCENT),
        ("What household recycling rate did the contract achieve?", AnswerKind.PERCENT),
        ("How many looked after children were there in 2017?", AnswerKind.NUMBER),
        ("How much time did the review take?", AnswerKind.NUMBER),
        ("Who chairs the health and wellbeing board?", AnswerKind.PERSON),
        ("Which councillors voted against the budget?", AnswerKind.PERSON),
    ],
)
def test_expected_answer_kinds(question: str, kind: AnswerKind) -> None:
    expectation = expected_answer(question)
    assert expectation is not None and expectation.kind is kind


@pytest.mark.parametrize(
    "question",
    [
        "What did the board say about workforce risk?",
        "Why do GP surgeries run their appointment booking differently?",
        "When is the strategy due to be published?",
        "What kind of badge scheme was considered?",
    ],
)
def test_open_questions_expect_nothing_in_particular(question: str) -> None:
    assert expected_answer(question) is None
    assert holds_answer(None, "Any sentence at all.")


def test_money_needs_an_amount_not_just_any_number() -> None:
    money = expected_answer("How much public health grant did the council receive?")
    assert holds_answer(money, "The grant for 2019/20 was £21.4m.")
    assert holds_answer(money, "Funding of 3 million pounds was confirmed.")
    assert not holds_answer(money, "The grant for 2019/20 be approved, as set out in paragraph 3.13.")


def test_figures_the_question_states_are_not_its_answer() -> None:
    count = expected_answer("How many 20mph zones did the council approve in 2023?")
    assert count is not None and count.kind is AnswerKind.NUMBER
    assert not holds_answer(count, "Members discussed 20mph zones at the 2023 meeting.")
    assert holds_answer(count, "Cabinet approved 14 new 20mph zones in 2023.")
    assert holds_answer(count, "Three 20mph zones were approved.")


def test_percentages_need_a_percentage() -> None:
    percent = expected_answer("What percentage of discharges went home on pathway 0?")
    assert holds_answer(percent, "Some 78% went home on pathway 0.")
    assert holds_answer(percent, "Around 60 per cent were discharged home.")
    assert not holds_answer(percent, "There are four pathways (0, 1, 2, 3).")


def test_people_are_named_by_title_or_given_name() -> None:
    assert names_person("Councillor Duncan Crow made his budget speech.")
    assert names_person("Cllr. Patel seconded the motion.")
    assert names_person("Jo-anne Alner explained that she would now chair the board.")
    assert names_person("The report was presented by Sarah Jones.")
    assert not names_person("The Full Council was reminded of the regulations.")
    assert not names_person("The Safeguarding Board Business Manager presented the annual report.")


def test_a_question_about_an_office_needs_its_holder() -> None:
    chair = expected_answer("Who is the independent chair of the Safeguarding Adults Board?")
    assert chair is not None and chair.offices == frozenset({"chair"})
    assert not holds_answer(chair, "A presentation by the Independent Chair of the Safeguarding Adults Board.")
    assert not holds_answer(chair, "The Democratic Services Manager, Paul Goult, explained the board's remit.")
    assert holds_answer(chair, "Councillor Smith was appointed Chair of the Board.")
    assert holds_answer(chair, "The partnership would be co-chaired by the two Health and Wellbeing Chairs.")


COUNCILS = [
    "Slough Borough Council",
    "Solihull Metropolitan Borough Council",
    "Manchester City Council",
    "Surrey County Council",
    "Surrey Heath Borough Council",
    "Kent County Council",
    "London Borough of Hammersmith & Fulham",
    "Bournemouth, Christchurch and Poole Council",
    "Oxfordshire County Council",
    "Coventry City Council",
]


def test_place_names_drop_what_every_council_name_shares() -> None:
    assert place_name("Epsom and Ewell Borough Council") == "Epsom and Ewell"
    assert place_name("London Borough of Hammersmith & Fulham") == "Hammersmith & Fulham"
    assert place_name("City of London Corporation") == ""


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Has Slough's health and wellbeing board signed off its plan?", {"Slough Borough Council"}),
        ("What did Kent County Council decide?", {"Kent County Council"}),
        ("flu uptake in Hammersmith and Fulham", {"London Borough of Hammersmith & Fulham"}),
        ("the board of bournemouth, christchurch and poole", {"Bournemouth, Christchurch and Poole Council"}),
        ("What did Surrey Heath and Woking achieve?", {"Surrey Heath Borough Council"}),
        ("How is the Greater Manchester partnership being set up?", set()),
        ("Greater Manchester's partnership", set()),
        ("the Buckinghamshire, Oxfordshire and Berkshire West ICS", {"Oxfordshire County Council"}),
        ("Who chairs the Coventry Safeguarding Adults Board?", {"Coventry City Council"}),
        ("What did the board say about workforce risk?", set()),
    ],
)
def test_councils_named_in_a_question(text: str, named: set[str]) -> None:
    assert Places.of(COUNCILS).named_in(text) == named


def test_a_passage_concerns_the_named_council_its_own_or_by_mention() -> None:
    slough = frozenset({"Slough Borough Council"})
    assert concerns(slough, "Slough Borough Council", "Anything.")
    assert concerns(slough, None, "Minutes without known council.")
    assert concerns(frozenset(), "Solihull Metropolitan Borough Council", "No council named: anything goes.")
    assert concerns(slough, "Berkshire Health Board", "Slough's plan was discussed at the joint board.")
    assert not concerns(slough, "Solihull Metropolitan Borough Council", "Solihull's strategy was refreshed.")


def _passage(text: str, council: str | None = None, rank: int = 1) -> Passage:
    source = Source(doc_id="d", file="f.txt", start=0, end=len(text), council=council)
    return Passage(id=f"p{rank}", rank=rank, score=1.0, text=text, source=source)


IDF = {"quorum": 5.0, "board": 0.5, "health": 0.5}


def test_best_sentence_support_rewards_the_sentence_with_the_answer() -> None:
    question = "What quorum did the health board settle on?"
    answer = "The Board agreed a quorum of three members. The minutes were approved."
    topic_only = "Health Board business protocol and terms of reference. The meeting was quorate."
    assert best_sentence_support(question, answer, "", IDF) > best_sentence_support(question, topic_only, "", IDF)


def test_best_sentence_support_counts_the_header_and_the_answer_kind() -> None:
    question = "How much did the health board spend on quorum training?"
    without_amount = "Quorum training was discussed at length."
    with_amount = "Quorum training cost £3,000 this year."
    assert best_sentence_support(question, with_amount, "", IDF) > best_sentence_support(question, without_amount, "", IDF)
    assert best_sentence_support(question, with_amount, "Health Board", IDF) > best_sentence_support(
        question, with_amount, "", IDF
    )


def test_evidence_ignores_passages_of_other_councils() -> None:
    passages = [_passage("Solihull refreshed its suicide prevention strategy.", "Solihull Metropolitan Borough Council")]
    named = frozenset({"Slough Borough Council"})
    assert evidence_score(passages, [0.9], [0.8], named) == 0.0
    assert evidence_score(passages, [0.9], [0.8]) == pytest.approx(0.85)


def test_rerank_combines_relative_score_and_support() -> None:
    order = rerank([1.0, 0.95, 0.5], [0.2, 0.9, 1.0], support_weight=0.6)
    assert [position for position, _ in order] == [1, 0, 2]
    assert order[0][1] == pytest.approx(0.95 + 0.54)


def test_rerank_without_support_weight_keeps_the_order() -> None:
    assert [position for position, _ in rerank([0.9, 0.9, 0.3], [1.0, 0.0, 1.0], 0.0)] == [0, 1, 2]
    assert rerank([], [], 0.6) == []
    with pytest.raises(ValueError):
        rerank([1.0], [], 0.6)
