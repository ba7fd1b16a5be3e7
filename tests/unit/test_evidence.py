"""Evidence for abstention and re-ranking: answer kinds, named councils, best-sentence support (pure logic)."""

from __future__ import annotations

import math

import pytest

from minutes_qa.contract import Passage, Source
from minutes_qa.rag.answer_kinds import AnswerKind, expected_answer, holds_answer, names_person
from minutes_qa.rag.evidence import (
    EvidenceFeatures,
    asked_acts,
    best_sentence_support,
    content_terms,
    evidence_features,
    evidence_probability,
    glossary_aliases,
    names_other_years,
    years_named,
)
from minutes_qa.rag.places import Places, concerns, place_name
from minutes_qa.rag.rerank import rerank


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How much is the council cutting from its youth service budget?", AnswerKind.MONEY),
        ("What is the average weekly cost of a residential placement?", AnswerKind.MONEY),
        ("What did temporary accommodation cost in 2024/25?", AnswerKind.MONEY),
        ("What percentage of plans were issued within 20 weeks?", AnswerKind.PERCENT),
        ("What household recycling rate did the contract achieve?", AnswerKind.PERCENT),
        ("What was the flu vaccination uptake rate last winter?", AnswerKind.PERCENT),
        ("How many looked after children were there in 2017?", AnswerKind.NUMBER),
        ("How much time did the review take?", AnswerKind.NUMBER),
        ("Who chairs the health and wellbeing board?", AnswerKind.PERSON),
        ("Which councillors voted against the budget?", AnswerKind.PERSON),
        ("When is the strategy due to be published?", AnswerKind.DATE),
        ("When the board reviewed its terms in 2021, what quorum did it settle on?", AnswerKind.NUMBER),
        ("Did the cabinet approve the closure of the library?", AnswerKind.OUTCOME),
        ("How did the committee vote in the end on the application?", AnswerKind.OUTCOME),
        ("How big a rise in parking fees was put forward?", AnswerKind.MONEY),
        ("What hourly rate does the council pay nursery providers?", AnswerKind.MONEY),
        ("How much does the council expect to save a year by closing three libraries?", AnswerKind.MONEY),
        ("Which firm advises the council on treasury management?", AnswerKind.ORGANISATION),
        ("Which contractors won the two waste disposal contracts?", AnswerKind.ORGANISATION),
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
        "What kind of badge scheme was considered?",
        "Does the new waste contract include food waste collection?",
        "Can you summarise the update members got on potholes?",
        "What were the headline value for money findings?",
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


def test_a_count_is_not_a_percentage_an_amount_a_year_or_a_reference() -> None:
    count = expected_answer("How many Section 42 enquiries did the council receive in 2018/19?")
    assert count is not None and count.count
    assert not holds_answer(count, "There had been a 54% increase in the number of Section 42 enquiries.")
    assert not holds_answer(count, "(2) the Terms of Reference as set out in Appendix A be approved;")
    assert not holds_answer(count, "55 Establishing a Shadow Health and Wellbeing Board PDF 88 KB")
    assert not holds_answer(count, "Mr Gough seconded the recommendations on page 119 and 120 of the agenda.")
    assert not holds_answer(count, "The enquiries cost £2.4m in 2019/20, reported on 3 March 2020.")
    assert not holds_answer(count, "The board would report back over the next 18 months.")
    assert holds_answer(count, "The council received 412 Section 42 enquiries in 2018/19.")
    assert holds_answer(count, "Two schools would expand by 210 places.")
    duration = expected_answer("How many months did the review take?")
    assert duration is not None and holds_answer(duration, "The review took 18 months.")


def test_a_figure_asked_for_in_the_end_is_not_a_forecast() -> None:
    outturn = expected_answer("What did the adult social care overspend finally come to at the end of 2014/15?")
    assert outturn is not None and outturn.settled
    assert not holds_answer(outturn, "The early forecast indicated that there would be an overspend of £2.6m.")
    assert holds_answer(outturn, "The final outturn was an overspend of £3.1m against the forecast of £2.6m.")
    paid = expected_answer("How much did the parish council end up paying in legal fees?")
    assert paid is not None and paid.settled
    assert not holds_answer(paid, "The budget allows £1000 to cover legal fees and £500 to cover road repairs.")
    assert holds_answer(outturn, "The overspend was £3.1m.")
    forecast = expected_answer("How far over budget was adult social care forecast to be?")
    assert forecast is not None and not forecast.settled
    assert holds_answer(forecast, "The forecast overspend was £16.3 million.")


def test_an_organisation_needs_a_name() -> None:
    firm = expected_answer("Which contractors won the council's two residual waste disposal contracts?")
    assert firm is not None and firm.kind is AnswerKind.ORGANISATION
    assert not holds_answer(firm, "RESOLVED that Cabinet approves the award of two contracts to the named contractors.")
    assert not holds_answer(firm, "Councillor David Smith presented the confidential report.")
    assert not holds_answer(firm, "AWARD OF CONTRACT FOR RESIDUAL WASTE DISPOSAL")
    assert holds_answer(firm, "The Council's treasury advisers, Link Asset Management, confirmed this.")
    assert holds_answer(firm, "The Cabinet agreed that the pooled fund be hosted by Medway Council.")


def test_how_many_and_spoken_fillers_are_no_topic_words() -> None:
    assert content_terms("How many homes does Bolsover now have to plan for?") == content_terms(
        "Homes Bolsover plan for"
    )
    assert "far" not in content_terms("How far was the grant expected to fall?")


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


def test_a_figure_dated_another_year_is_told_apart() -> None:
    asked = years_named("What precept did the parish council set for 2012/13?")
    assert names_other_years("In 2011 the precept was £10,400.", asked)
    assert names_other_years("The precept for 2010/11 was £9,800.", asked)
    assert not names_other_years("It was RESOLVED to set a precept of £11,400 for the financial year 2012/13.", asked)
    assert not names_other_years("It was RESOLVED to set a precept of £11,400.", asked)
    # Counts that look like years are not dates.
    assert not names_other_years("Officer numbers would go from 1930 to 2030.", years_named("How many officers in 2018?"))
    assert not names_other_years("In 2011 the precept was £10,400.", [])


def test_a_leading_clause_sets_the_scene_anywhere_in_the_passage() -> None:
    question = "In the amended plans lodged for the appeal, how many houses would be for older households?"
    passage = (
        "The appellant had lodged an appeal and submitted amended plans. "
        "Provision of 16 houses for occupation by older households only."
    )
    scene_elsewhere = best_sentence_support(question, passage, "", IDF)
    no_scene = best_sentence_support(question, "Provision of 16 houses for occupation by older households only.", "", IDF)
    assert scene_elsewhere > no_scene
    # The asked words themselves must be in the answering sentence: the scene does not stand in for them.
    assert best_sentence_support(question, "The appellant had lodged an appeal with 16 amended plans.", "", IDF) < (
        scene_elsewhere
    )


def test_a_written_out_acronym_supports_the_question_that_abbreviates_it() -> None:
    glossary = {"HNB": "high needs block", "DfE": "department for education"}
    question = "Which officer took the Schools Forum through the HNB budget?"
    aliases = glossary_aliases(question, glossary)
    assert len(aliases) == 1
    sentence = "Coral Miller presented the High Needs Block budget report."
    assert best_sentence_support(question, sentence, "", IDF, aliases=aliases) > best_sentence_support(
        question, sentence, "", IDF
    )
    # And the other way round: a question that writes it out is supported by the acronym.
    written = "Which officer took the Schools Forum through the high needs block budget?"
    assert glossary_aliases(written, glossary) == aliases
    assert best_sentence_support(written, "Coral Miller presented the HNB budget.", "", IDF, aliases=aliases) > (
        best_sentence_support(written, "Coral Miller presented the HNB budget.", "", IDF)
    )


def test_evidence_counts_only_passages_that_speak_for_the_question() -> None:
    passages = [_passage("Solihull refreshed its suicide prevention strategy.", "Solihull Metropolitan Borough Council")]
    silent = evidence_features(passages, [0.9], [0.8], [False], asks_kind=False)
    assert (silent.cosine, silent.support, silent.named_council_first) == (0.0, 0.0, False)
    speaking = evidence_features(passages, [0.9], [0.8], [True], asks_kind=True)
    assert (speaking.cosine, speaking.support, speaking.asks_kind, speaking.top_score) == (0.8, 0.9, True, 1.0)


def test_evidence_probability_is_a_logistic_model_of_the_features() -> None:
    features = EvidenceFeatures(cosine=0.5, support=1.0, asks_kind=True, named_council_first=True, top_score=1.2)
    assert evidence_probability(features, {}) == pytest.approx(0.5)
    weights = {"support": 2.0, "asks_kind": -1.0, "intercept": -1.0}
    assert evidence_probability(features, weights) == pytest.approx(1 / (1 + math.exp(0.0)))
    assert evidence_probability(features, {"support": 3.0}) > evidence_probability(features, {"support": 1.0})


def test_a_year_the_question_names_must_be_the_minutes_year() -> None:
    question = "What net revenue budget did the council approve for 2022/23?"
    year = years_named(question)[0]
    assert year.mentioned_in("The net revenue budget for 2022-23 of £200m was approved.", "")
    assert year.mentioned_in("The budget was approved.", "Council. 23 February 2022")
    assert not year.mentioned_in("The 2021/22 budget of £190m was approved.", "Council. 22 February 2021")
    answer = "The net revenue budget of £200m was approved."
    assert best_sentence_support(question, answer, "Council. 23 February 2022", IDF) > best_sentence_support(
        question, answer, "Council. 22 February 2021", IDF
    )


def test_who_questions_need_the_act_they_ask_about() -> None:
    assert asked_acts("Which councillors voted against the budget?") == {"vote"}
    assert asked_acts("Which officer took the forum through the budget after the bid to move money?") == set()
    question = "Which councillors voted against the budget?"
    spoke = "The Council debated the budget with Councillor Lunnon and Councillor Irvine."
    voted = "Councillors Lunnon and Irvine voted against the budget."
    assert best_sentence_support(question, voted, "", IDF) > best_sentence_support(question, spoke, "", IDF)


def test_rerank_combines_relative_score_and_support() -> None:
    order = rerank([1.0, 0.95, 0.5], [0.2, 0.9, 1.0], support_weight=0.6)
    assert [position for position, _ in order] == [1, 0, 2]
    assert order[0][1] == pytest.approx(0.95 + 0.54)


def test_rerank_without_support_weight_keeps_the_order() -> None:
    assert [position for position, _ in rerank([0.9, 0.9, 0.3], [1.0, 0.0, 1.0], 0.0)] == [0, 1, 2]
    assert rerank([], [], 0.6) == []
    with pytest.raises(ValueError):
        rerank([1.0], [], 0.6)
