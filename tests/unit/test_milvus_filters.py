"""Filters as Milvus expressions: the same documents as DocumentMask allows, quoted safely."""

from __future__ import annotations

from datetime import date

from minutes_qa.contract import Filters
from minutes_qa.index.milvus_filters import (
    NOTHING,
    combine,
    date_expression,
    day_number,
    filter_expression,
    ids_expression,
    literal,
)

COMMITTEES = ["Cabinet", "Health and Wellbeing Board", "Children’s Services Scrutiny"]
COUNCILS = ["Slough", "Brighton & Hove"]


def test_literals_escape_quotes_and_backslashes_but_keep_other_characters() -> None:
    assert literal('say "no" \\ now') == '"say \\"no\\" \\\\ now"'
    assert literal("Children’s") == '"Children’s"'  # no \u2019 escape: Milvus rejects those


def test_committee_and_council_match_part_of_a_name_ignoring_case() -> None:
    expression = filter_expression(Filters(committee="board", council="HOVE"), COMMITTEES, COUNCILS)
    assert expression == '(committee in ["Health and Wellbeing Board"]) and (council in ["Brighton & Hove"])'
    assert filter_expression(Filters(committee="children’s"), COMMITTEES, COUNCILS) == (
        '(committee in ["Children’s Services Scrutiny"])'
    )


def test_a_name_matching_nothing_selects_nothing() -> None:
    assert filter_expression(Filters(committee="planning", file="a.txt"), COMMITTEES, COUNCILS) == NOTHING


def test_no_filters_restrict_nothing() -> None:
    assert filter_expression(None, COMMITTEES, COUNCILS) == ""
    assert filter_expression(Filters(), COMMITTEES, COUNCILS) == ""


def test_strict_dates_need_a_meeting_date_and_lenient_ones_keep_undated_meetings() -> None:
    since, until = date(2020, 1, 1), date(2020, 12, 31)
    lenient = date_expression(since, until)
    assert lenient == f"(meeting_day >= {since.toordinal()} and meeting_day <= {until.toordinal()}) or meeting_day == 0"
    assert filter_expression(Filters(since=since, until=until), COMMITTEES, COUNCILS) == (
        f"(has_date == true and ({lenient}))"
    )
    assert date_expression(None, None) == ""


def test_day_numbers_and_ids() -> None:
    assert day_number("2021-03-05") == date(2021, 3, 5).toordinal()
    assert day_number(None) == day_number("") == day_number("5 March") == 0
    assert ids_expression([3, 1, 2]) == "id in [3, 1, 2]"
    assert combine("a == 1", "", "b == 2") == "(a == 1) and (b == 2)"
    assert combine("a == 1", NOTHING) == NOTHING
