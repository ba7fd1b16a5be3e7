"""Suggested next questions: built from the cited items only, varied, deduplicated, never the question asked."""

from __future__ import annotations

import pytest

from minutes_qa.contract import Citation, Passage, Source
from minutes_qa.rag.suggestions import item_topic, next_questions


def _passage(
    passage_id: str, title: str | None, committee: str | None = None, council: str | None = None,
    meeting_date: str | None = None, text: str = "Members noted the report.",
) -> Passage:
    source = Source(
        doc_id=passage_id.split(":")[0], file=f"{passage_id}.txt", start=0, end=len(text), title=title,
        committee=committee, council=council, meeting_date=meeting_date,
    )
    return Passage(id=passage_id, rank=1, score=1.0, text=text, source=source)


BUDGET = _passage("a:0001", "100 Budget and Council Tax 2020/21 pdf icon PDF 394 KB", "Council",
                  "Bath and North East Somerset Council", "2020-02-18")
CARE = _passage("b:0003", "Integrated Care System Update", council="West Berkshire Council")
UNCITED = _passage("c:0000", "Highway Maintenance", "Cabinet", "Kent County Council", "2019-07-01")


def _cite(*passages: Passage) -> list[Citation]:
    return [Citation(n=n, passage_id=p.id, quote="Members noted the report.") for n, p in enumerate(passages, 1)]


def test_one_of_each_kind_from_the_first_cited_item() -> None:
    assert next_questions([BUDGET, CARE], _cite(BUDGET, CARE), asked=["How much was council tax?"]) == [
        "What was decided on Budget and Council Tax 2020/21?",
        "What did Bath and North East Somerset Council discuss on 18 February 2020?",
        "Which other meetings discussed Budget and Council Tax 2020/21?",
    ]


def test_later_cited_items_fill_in_for_kinds_the_first_cannot_give() -> None:
    # CARE has no meeting date: its meeting question cannot be asked, so BUDGET's topic comes second.
    assert next_questions([CARE, BUDGET], _cite(CARE, BUDGET), asked=[]) == [
        "What was decided on Integrated Care System Update?",
        "What did Bath and North East Somerset Council discuss on 18 February 2020?",
        "Which other meetings discussed Integrated Care System Update?",
    ]


def test_only_cited_passages_are_used_when_they_give_two_or_more() -> None:
    suggestions = next_questions([UNCITED, CARE], _cite(CARE), asked=[])
    assert suggestions == [
        "What was decided on Integrated Care System Update?",
        "Which other meetings discussed Integrated Care System Update?",
    ]


def test_other_retrieved_passages_help_only_when_the_cited_give_fewer_than_two() -> None:
    procedural = _passage("d:0000", "Decision details", council="Runnymede Borough Council")
    suggestions = next_questions([procedural, UNCITED], _cite(procedural), asked=[])
    assert suggestions == [
        "What was decided on Highway Maintenance?",
        "What did the Cabinet of Kent County Council discuss on 1 July 2019?",
        "Which other meetings discussed Highway Maintenance?",
    ]


def test_the_question_just_asked_is_never_offered_nor_a_repeat() -> None:
    twin = _passage("a:0002", BUDGET.source.title, "Council", "Bath and North East Somerset Council", "2020-02-18")
    asked = "what was decided on budget and council tax 2020/21"
    suggestions = next_questions([BUDGET, twin], _cite(BUDGET, twin), asked=[asked])
    assert suggestions == [
        "What did Bath and North East Somerset Council discuss on 18 February 2020?",
        "Which other meetings discussed Budget and Council Tax 2020/21?",
    ]


def test_no_citations_and_nothing_usable_give_nothing() -> None:
    assert next_questions([BUDGET], [], asked=[]) == []
    bare = _passage("e:0000", None)
    assert next_questions([bare], _cite(bare), asked=[]) == []


def test_an_item_title_the_passage_opens_with_beats_the_documents_title() -> None:
    minutes = _passage(
        "f:0010", "MINUTES of a meeting of the Cabinet held at County Hall", "Cabinet", "Kent County Council",
        "2025-01-30", text="89. Draft Revenue Budget 2025-26, MTFP 2025-28, Draft Capital Programme 2025-35 and Treasury Management\n"
        "Strategy 2025-26\n\n1. Mr Oakford introduced the report.",
    )
    assert next_questions([minutes], _cite(minutes), asked=[])[0] == "What was decided on Draft Revenue Budget 2025-26?"


def test_a_council_sitting_as_the_committee_is_named_once() -> None:
    full = _passage("g:0000", "Establishing a Shadow Health and Wellbeing Board for Kent", "County Council",
                    "Kent County Council", "2011-07-21")
    assert "What did Kent County Council discuss on 21 July 2011?" in next_questions([full], _cite(full), asked=[])


@pytest.mark.parametrize(
    ("title", "topic"),
    [
        ("106 HSAB Annual Report 2016-2017 pdf icon PDF 230 KB", "HSAB Annual Report 2016-2017"),
        ("Issue - items at meetings - Mental Health Beds Update", "Mental Health Beds Update"),
        ("Integrated Care Partnership (ICP) (Decision: 110611)", "Integrated Care Partnership (ICP)"),
        ("Health and Wellbeing Board - Revised Terms of Reference", "Health and Wellbeing Board - Revised Terms of Reference"),
        ("Climate and Ecological Emergency › Minutes:", "Climate and Ecological Emergency"),
        ("Minutes of the last meeting held on 14 July 2021 pdf icon PDF 92 KB", None),
        ("Decision details", None),
        ("Apologies for Absence", None),
        ("2.", None),
        ("", None),
        (None, None),
    ],
)
def test_item_topic(title: str | None, topic: str | None) -> None:
    assert item_topic(title) == topic
