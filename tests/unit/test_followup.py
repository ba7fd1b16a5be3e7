"""Follow-up questions read against the conversation before them (rag.followup, pure logic)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from minutes_qa.contract import AskResponse, Turn
from minutes_qa.rag.followup import Reading, resolve
from minutes_qa.rag.places import Places

PLACES = Places.of([
    "Folkestone & Hythe District Council", "Worcestershire County Council", "Herefordshire Council",
    "London Borough of Croydon", "London Borough of Hammersmith & Fulham", "Kent County Council",
    "Bath and North East Somerset Council", "Plymouth City Council", "Peterborough City Council",
    "Southampton City Council", "Bracknell Forest Council",
])


def turn(question: str, interpreted_as: str | None = None) -> Turn:
    return Turn(question=question, interpreted_as=interpreted_as or question)


def read(question: str, *earlier: str, turns: int = 3) -> str:
    return resolve(question, [turn(text) for text in earlier], PLACES, turns).standalone


def test_ellipsis_names_a_place_the_earlier_question_lacked() -> None:
    assert read("What about Worcestershire?", "What did the board say about workforce risk?") == (
        "What did the board say about workforce risk in Worcestershire?"
    )


def test_ellipsis_with_a_capitalised_place_the_index_does_not_know() -> None:
    assert read("What about Medway's?", "How much is Herefordshire putting into its better care fund for 2019/20?") == (
        "How much is Medway putting into its better care fund for 2019/20?"
    )


def test_pronoun_stands_for_the_earlier_topic_at_its_committee() -> None:
    earlier = "What did Folkestone & Hythe's cabinet decide about the Carbon Action Plan?"
    assert read("Who proposed it?", earlier) == "Who proposed the Carbon Action Plan at Folkestone & Hythe's cabinet?"
    assert read("Who proposed that plan?", earlier) == (
        "Who proposed the Carbon Action Plan at Folkestone & Hythe's cabinet?"
    )


def test_they_and_it_both_point_back() -> None:
    assert read("How much did they take from reserves to balance it?", "What net revenue budget did Plymouth agree for 2021/22?") == (
        "How much did Plymouth take from reserves to balance the net revenue budget for 2021/22?"
    )


def test_bare_reference_with_no_topic_of_its_own() -> None:
    earlier = "What did Folkestone & Hythe's cabinet decide about the Carbon Action Plan?"
    resolution = resolve("Who seconded the motion?", [turn(earlier)], PLACES)
    assert resolution.reading is Reading.NO_TOPIC
    assert resolution.standalone == (
        "Who seconded the motion regarding the Carbon Action Plan at Folkestone & Hythe's cabinet?"
    )
    assert read("Why?", earlier) == "Why regarding the Carbon Action Plan at Folkestone & Hythe's cabinet?"


def test_ellipsis_topic_replaces_the_question_word_topic() -> None:
    assert read("And the adult social care precept?", "What council tax rise did Bath and North East Somerset agree for 2020/21?") == (
        "What adult social care precept did Bath and North East Somerset agree for 2020/21?"
    )


@pytest.mark.parametrize(
    "question",
    [
        "How many recommendations came out of the City of London's Ofsted inspections?",
        "Does Kent still have a five-year housing land supply?",
        "What did Croydon's health and wellbeing board say about winter pressures in 2023?",
    ],
)
def test_a_new_topic_is_left_exactly_as_typed(question: str) -> None:
    resolution = resolve(question, [turn("What did Worcestershire's board agree about providers sitting on it?")], PLACES)
    assert resolution.reading is Reading.NEW_TOPIC
    assert resolution.standalone == question
    assert not resolution.rewritten


def test_a_new_council_replaces_the_old_one() -> None:
    earlier = "How much did Croydon get from the adult social care discharge fund in 2022?"
    assert read("What about Hammersmith and Fulham?", earlier) == (
        "How much did Hammersmith and Fulham get from the adult social care discharge fund in 2022?"
    )
    assert read("What about Southampton in 2013?", "Which charging option did Peterborough's Cabinet approve for adult social care?") == (
        "Which charging option did Southampton's Cabinet approve for adult social care in 2013?"
    )


def test_a_new_year_replaces_the_old_date() -> None:
    earlier = "How much did Croydon get from the adult social care discharge fund in 2022?"
    assert read("And in 2019?", earlier) == "How much did Croydon get from the adult social care discharge fund in 2019?"
    assert read("And 2018/19?", "How much is Herefordshire putting into its better care fund for 2019/20?") == (
        "How much is Herefordshire putting into its better care fund for 2018/19?"
    )
    assert read("And last year?", "How much is Herefordshire putting into its better care fund for 2019/20?") == (
        "How much is Herefordshire putting into its better care fund for 2018/19?"
    )


def test_that_year_is_the_earlier_date() -> None:
    assert read("What will a Band D home in Plymouth pay that year?", "What net revenue budget did Plymouth agree for 2021/22?") == (
        "What will a Band D home in Plymouth pay for 2021/22?"
    )


def test_a_year_in_a_name_is_not_a_date() -> None:
    earlier = "What new duties did the Health and Care Act 2022 give Kent's health and wellbeing board?"
    assert "2022" not in read("Who explained that to the committee?", earlier).replace("Act 2022", "")


def test_a_question_without_a_council_stays_within_the_conversations() -> None:
    resolution = resolve(
        "When does the repair grant close?",
        [turn("How many flood alerts did the Environment Agency issue in Kent during Storm Babet?")], PLACES,
    )
    assert resolution.reading is Reading.SAME_SCOPE
    assert resolution.standalone == "When does the repair grant close in Kent?"


def test_a_follow_up_of_a_follow_up_keeps_the_first_topic() -> None:
    first = "What council tax rise did Bath and North East Somerset agree for 2020/21?"
    second = resolve("And the adult social care precept?", [turn(first)], PLACES)
    third = resolve("Who moved it?", [turn(first), turn("And the adult social care precept?", second.standalone)], PLACES)
    assert third.standalone == "Who moved the adult social care precept in Bath and North East Somerset for 2020/21?"


def test_only_the_last_turns_count() -> None:
    earlier = [turn("What did Folkestone & Hythe's cabinet decide about the Carbon Action Plan?")]
    # Turns a client sent back unread (interpreted_as as typed): none has a topic of its own.
    earlier += [turn("Who proposed it?"), turn("Why?"), turn("When?")]
    assert resolve("Who proposed it?", earlier, PLACES, turns=3).standalone == "Who proposed it?"
    assert resolve("Who proposed it?", earlier, PLACES, turns=4).standalone == (
        "Who proposed the Carbon Action Plan at Folkestone & Hythe's cabinet?"
    )


def test_no_history_leaves_the_question_unchanged() -> None:
    resolution = resolve("Who proposed it?", [], PLACES)
    assert resolution.standalone == "Who proposed it?"
    assert resolution.reading is Reading.NO_HISTORY


def test_works_without_a_place_recogniser() -> None:
    assert resolve("What about Worcestershire?", [turn("What did the board say about workforce risk?")]).standalone == (
        "What did the board say about workforce risk in Worcestershire?"
    )


def test_turn_contract() -> None:
    with pytest.raises(ValidationError):
        Turn(question="", interpreted_as="x")
    with pytest.raises(ValidationError):
        Turn(question="Why?", interpreted_as="   ")
    with pytest.raises(ValidationError):
        Turn.model_validate({"question": "Why?"})
    response = AskResponse(question="Why?", answer="", abstained=True, citations=[], passages=[])
    assert response.interpreted_as == "Why?"
