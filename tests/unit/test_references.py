"""Formal references, as staff write them, on hand-written cases."""

from __future__ import annotations

import pytest

from minutes_qa.index.records import DocumentMetadata
from minutes_qa.rag.references import formal_reference, minute_number

HEREFORDSHIRE = DocumentMetadata(
    council="Herefordshire Council", committee="Health and Wellbeing Board", meeting_date="2018-02-13",
    item_number="150", title="Improving health and wellbeing",
)


def test_the_form_staff_write_in_reports() -> None:
    assert formal_reference(HEREFORDSHIRE) == (
        "Health and Wellbeing Board, 13 February 2018, minute 150, Herefordshire Council"
    )


@pytest.mark.parametrize(
    ("heading", "document_item", "expected"),
    [
        ("Meeting: 13/02/2018 - Health and Wellbeing Board (Item 150) › Minutes:", None, "150"),
        ("- Meeting of Overview and Scrutiny Committee (Item OS.130.)", None, "OS.130"),
        ("106 HSAB Annual Report 2016-2017 pdf icon PDF 230 KB › RESOLVED: That the report be noted.", "7", "106"),
        ("10. Integrated Education Capital Programme", None, "10"),
        # A numbered decision heads the chunk, not an item: the document's own number stands.
        ("1. › Noted the progress made on delivering the programme", "10", "10"),
        ("2.", None, None),
        ("Decision details › This item presents the outcome", "OS.130", "OS.130"),
        ("Decision details", None, None),
        ("", "  ", None),
    ],
)
def test_minute_number(heading: str, document_item: str | None, expected: str | None) -> None:
    assert minute_number(heading, document_item) == expected


def test_the_heading_item_wins_over_the_documents_for_whole_meeting_minutes() -> None:
    reference = formal_reference(HEREFORDSHIRE, "152 Better Care Fund pdf icon PDF 120 KB › Minutes:")
    assert reference == "Health and Wellbeing Board, 13 February 2018, minute 152, Herefordshire Council"


def test_unknown_parts_are_left_out_never_invented() -> None:
    assert formal_reference(DocumentMetadata(committee="Cabinet", council="Medway Council")) == "Cabinet, Medway Council"
    assert formal_reference(DocumentMetadata(meeting_date="2015-08-24", council="East Sussex County Council")) == (
        "24 August 2015, East Sussex County Council"
    )
    assert formal_reference(DocumentMetadata(item_number="4", council="Epsom and Ewell Borough Council")) == (
        "minute 4, Epsom and Ewell Borough Council"
    )


def test_without_committee_date_or_minute_the_title_or_file_names_the_record() -> None:
    titled = DocumentMetadata(title="Integrated Care System Update", council="West Berkshire Council")
    assert formal_reference(titled, file="a06.txt") == "Integrated Care System Update, West Berkshire Council"
    assert formal_reference(DocumentMetadata(council="Leicester City Council"), file="a16.txt") == (
        "a16.txt, Leicester City Council"
    )
    assert formal_reference(DocumentMetadata()) == ""


def test_pdf_pages_close_the_reference() -> None:
    assert formal_reference(HEREFORDSHIRE, first_page=3, last_page=3).endswith("Herefordshire Council, page 3")
    assert formal_reference(HEREFORDSHIRE, first_page=3, last_page=4).endswith(", pages 3-4")
    assert formal_reference(HEREFORDSHIRE, first_page=3).endswith(", page 3")
    assert "page" not in formal_reference(HEREFORDSHIRE, first_page=None, last_page=4)


def test_a_council_named_as_the_committee_is_not_repeated() -> None:
    full_council = DocumentMetadata(committee="Kent County Council", council="Kent County Council", meeting_date="2011-07-21")
    assert formal_reference(full_council) == "Kent County Council, 21 July 2011"


def test_white_space_in_metadata_is_folded() -> None:
    spaced = DocumentMetadata(committee="Health and\n Wellbeing  Board", council=" Herefordshire Council ")
    assert formal_reference(spaced) == "Health and Wellbeing Board, Herefordshire Council"
