"""The shared text helpers (minutes_qa.text): dates, list markers, sentence spans, labels, quotes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import minutes_qa.text
from minutes_qa.text.dates import MONTH_NUMBERS, MONTHS, human_date, month_pattern
from minutes_qa.text.labels import meeting_label
from minutes_qa.text.markers import BRACKETED, BULLET, BULLETS, NUMBER, ROMAN, SECTION_NUMBER
from minutes_qa.text.quotes import quote_words, reference_text
from minutes_qa.text.sentences import split_lines, split_sentences, trim_span

TEXT_PACKAGE = Path(minutes_qa.text.__file__).parent


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("iso", "shown"),
    [("2018-02-13", "13 February 2018"), ("2021-12-01", "1 December 2021"), ("not a date", "not a date"), ("", None),
     (None, None)],
)
def test_human_date(iso: str | None, shown: str | None) -> None:
    assert human_date(iso) == shown


def test_every_spelling_of_a_month_has_its_number() -> None:
    assert len(MONTHS) == 12 and MONTHS[0] == "January" and MONTHS[-1] == "December"
    assert MONTH_NUMBERS["january"] == MONTH_NUMBERS["jan"] == 1
    assert MONTH_NUMBERS["may"] == 5
    assert MONTH_NUMBERS["september"] == MONTH_NUMBERS["sep"] == MONTH_NUMBERS["sept"] == 9
    assert len(MONTH_NUMBERS) == 24  # 12 names, 11 other abbreviations ("may" is both), "sept"
    assert all(name == name.lower() for name in MONTH_NUMBERS)


def test_month_pattern_tries_the_longest_spelling_first() -> None:
    pattern = re.compile(rf"(?:{month_pattern(MONTH_NUMBERS)})", re.I)

    assert [match.group(0) for match in pattern.finditer("Sept 2019, September 2020 and Sep 2021")] == [
        "Sept", "September", "Sep",
    ]


# --- list markers --------------------------------------------------------------------------------


def test_bullet_matches_each_bullet_character_only() -> None:
    bullet = re.compile(rf"^{BULLET}$")

    assert all(bullet.match(character) for character in BULLETS)
    assert not any(bullet.match(text) for text in ("a", "1", "(", "—", "", "··"))


@pytest.mark.parametrize(
    ("piece", "matches", "misses"),
    [
        (BRACKETED, ["(b", "iv", "12", "(xii"], ["(B", "J", "(", "abcde"]),
        (SECTION_NUMBER, ["10.1", "12.10.3"], ["10", "10.", "123.1"]),
        (NUMBER, ["2", "79"], ["123", "a"]),
        (ROMAN, ["iv", "xii"], ["i", "ivxivx", "IV"]),
    ],
)
def test_numbering_pieces(piece: str, matches: list[str], misses: list[str]) -> None:
    whole = re.compile(rf"^{piece}$")

    assert all(whole.match(text) for text in matches)
    assert not any(whole.match(text) for text in misses)


# --- sentences -----------------------------------------------------------------------------------


def _texts(text: str, spans: list[tuple[int, int]]) -> list[str]:
    return [text[start:end] for start, end in spans]


def test_lines_are_trimmed_spans_of_the_non_blank_lines() -> None:
    text = "  RESOLVED\u00a0\n\n\t· that the plan be approved;  \n \n"

    assert _texts(text, split_lines(text)) == ["RESOLVED", "· that the plan be approved;"]
    assert split_lines(text, 3, 8) == [(3, 8)]
    assert split_lines("") == [] and split_lines(" \n\u00a0") == []


def test_sentences_split_at_full_stops_but_not_after_titles_or_initials() -> None:
    text = "Cllr. Smith and J. Jones attended. The board agreed. It cost £1.5m. Members noted it"

    assert _texts(text, split_sentences(text)) == [
        "Cllr. Smith and J. Jones attended.", "The board agreed.", "It cost £1.5m.", "Members noted it",
    ]


def test_a_numbered_lines_marker_is_a_sentence_of_its_own() -> None:
    text = "2. That the contract be awarded.\niv. the fees rise\n150a. Budget\n(b) the fees rise"

    assert _texts(text, split_sentences(text)) == [
        "2.", "That the contract be awarded.", "iv.", "the fees rise", "150a.", "Budget", "(b) the fees rise",
    ]


def test_trim_span() -> None:
    assert trim_span(" \u00a0ab c\n", 0, 7) == (2, 6)
    assert trim_span("   ", 0, 3) is None


# --- meeting labels ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "label"),
    [
        ({"committee": "Health and Wellbeing Board", "meeting_date": "2018-02-13", "council": "Herefordshire Council"},
         "Health and Wellbeing Board, 13 February 2018 (Herefordshire Council)"),
        ({"committee": "Cabinet", "meeting_date": "2018-05-01"}, "Cabinet, 1 May 2018"),
        # The item title stands in for an unknown committee.
        ({"title": "Item 5: Fees", "council": "York Council"}, "Item 5: Fees (York Council)"),
        # A council the rest already names is not repeated.
        ({"committee": "York Council Executive", "council": "York Council"}, "York Council Executive"),
        ({"council": "York Council"}, "York Council"),
        ({}, ""),
    ],
)
def test_meeting_label(fields: dict[str, str], label: str) -> None:
    full = {"committee": None, "title": None, "meeting_date": None, "council": None, **fields}

    assert meeting_label(**full) == label


# --- quotes --------------------------------------------------------------------------------------


def test_quote_words_fold_white_space_and_drop_a_bullet_only() -> None:
    assert quote_words("·\u00a0\u00a0 the ICP would be\n  co-chaired") == "the ICP would be co-chaired"
    assert quote_words("2. That the contract be awarded") == "2. That the contract be awarded"
    assert quote_words("(b) the fees") == "(b) the fees"


def test_reference_text_puts_each_quote_on_its_own_line() -> None:
    assert reference_text("Cabinet, 1 May 2018", ["– the plan\nwas agreed", "fees  rose"]) == (
        "Cabinet, 1 May 2018\n\u201cthe plan was agreed\u201d\n\u201cfees rose\u201d"
    )


# --- layering ------------------------------------------------------------------------------------


def test_the_text_package_imports_no_layer() -> None:
    """Every layer, the UI included, may use these helpers: they must not pull in index or rag."""
    imported = set()
    for module in TEXT_PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module or "")
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    assert imported, "no imports found: the check looked in the wrong place"
    assert not [name for name in imported if name.startswith("minutes_qa")], sorted(imported)
