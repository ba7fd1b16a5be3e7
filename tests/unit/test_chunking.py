"""Sentence splitting and heading detection on hand-written cases (no model: no token counting)."""

from __future__ import annotations

import pytest

from minutes_qa.index.chunking import is_heading
from minutes_qa.text.sentences import split_sentences


@pytest.mark.parametrize(
    ("line", "heading"),
    [
        ("10. Integrated Education Capital Programme Update pdf icon PDF 93 KB", True),
        ("38.\u00a0\u00a0 Declarations of Interest", True),
        ("2.\u00a0\u00a0 That the contract for waste collection services be awarded to Bidder A;", False),
        ("1.  Noted the progress made on delivering the Integrated Education Capital Programme", False),
        ("15 December 2021", False),
    ],
)
def test_numbered_titles_are_headings_and_numbered_decisions_are_not(line: str, heading: bool) -> None:
    """The read path leaves headings out of quotes: a numbered decision must stay quotable."""
    assert is_heading(line) is heading


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Cllr. Smith welcomed members. The Chair thanked him.", ["Cllr. Smith welcomed members.", "The Chair thanked him."]),
        ("Dr. Jones and Mrs. Patel attended. Cllrs. Brown and Green sent apologies.",
         ["Dr. Jones and Mrs. Patel attended.", "Cllrs. Brown and Green sent apologies."]),
        ("Several options, e.g. Option A, were considered. Members agreed.",
         ["Several options, e.g. Option A, were considered.", "Members agreed."]),
        ("Apologies (i.e. from Cllr. X) were received. OK.", ["Apologies (i.e. from Cllr. X) were received.", "OK."]),
        ("The report by J. R. Smith was noted. Next item.", ["The report by J. R. Smith was noted.", "Next item."]),
        ("See para. 4 of the report. Agreed.", ["See para. 4 of the report.", "Agreed."]),
        ("It rose 2.3 per cent. Members noted it.", ["It rose 2.3 per cent.", "Members noted it."]),
        ('He said "It is done." Then he left.', ['He said "It is done."', "Then he left."]),
        ("Was it agreed? Yes! It was.", ["Was it agreed?", "Yes!", "It was."]),
        ("The vote was 5 in favour. 3 against.", ["The vote was 5 in favour.", "3 against."]),
        ("members noted the e.g. list. and so on", ["members noted the e.g. list. and so on"]),
        ("It rose by 5m. Then 4p. Then £2.5bn. Done.", ["It rose by 5m.", "Then 4p.", "Then £2.5bn.", "Done."]),
    ],
)
def test_split_sentences_within_a_line(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_list_numbers_stand_apart_so_that_quotes_can_leave_them_out() -> None:
    """Gold quotes of numbered decisions leave the number out ("That the contract ... be awarded;")."""
    text = (
        "2.\u00a0\u00a0 That the contract be awarded;\n10. Integrated Education Capital Programme Update\n"
        "2a. approve the precept and;\nb.\u00a0\u00a0 Adult Social Care had an overspend. It grew.\niv. noted the risks\n"
        "J. Smith said so.\n(iii) That it be repeated.\ne.g. this one"
    )
    assert sentences(text) == [
        "2.", "That the contract be awarded;", "10.", "Integrated Education Capital Programme Update",
        "2a.", "approve the precept and;", "b.", "Adult Social Care had an overspend.", "It grew.", "iv.", "noted the risks",
        "J. Smith said so.", "(iii) That it be repeated.", "e.g. this one",
    ]


def test_line_breaks_always_end_a_sentence() -> None:
    text = "Minutes\nThe committee received the report\nof the Director\n\nRESOLVED\n"
    assert sentences(text) == ["Minutes", "The committee received the report", "of the Director", "RESOLVED"]


def test_bullets_are_sentences_of_their_own() -> None:
    text = (
        "Other important factors were:\n\n·       the ICP would be co-chaired\n"
        "·       the role of public health. It grew.\n- a dash item\n(a) a lettered item"
    )
    assert sentences(text) == [
        "Other important factors were:",
        "·       the ICP would be co-chaired",
        "·       the role of public health.",
        "It grew.",
        "- a dash item",
        "(a) a lettered item",
    ]


def test_inline_bullet_after_a_full_stop_starts_a_sentence() -> None:
    assert sentences("The points were noted. · First point") == ["The points were noted.", "· First point"]


def test_spans_are_trimmed_including_non_breaking_spaces() -> None:
    text = "  \u00a0Leading space.\u00a0 Trailing  \n\n\u00a0\n"
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ["Leading space.", "Trailing"]
    assert all(not text[s].isspace() and not text[e - 1].isspace() for s, e in spans)


def test_split_sentences_respects_start_and_end() -> None:
    text = "First one. Second one. Third one."
    spans = split_sentences(text, 11, 22)
    assert spans == [(11, 22)]
    assert split_sentences("") == [] and split_sentences(" \n \n") == []


def test_amount_with_unit_letter_ends_a_sentence() -> None:
    assert sentences("The overspend was £1.5m. Members asked why.") == ["The overspend was £1.5m.", "Members asked why."]
