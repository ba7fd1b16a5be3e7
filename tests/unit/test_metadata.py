"""Metadata read from ModernGov page text and from a folder's sources.jsonl sidecar."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from minutes_qa.index.errors import SidecarError
from minutes_qa.index.metadata import load_sidecar, parse_metadata
from minutes_qa.index.records import DocumentMetadata
from support import REPO

CORPUS = REPO.parent / "shared" / "corpus"
SEEDS = CORPUS / "seeds"
DEV = CORPUS / "dev"
DEV_FILES = sorted(DEV.glob("*.txt"))


def _parse(folder: Path, prefix: str) -> DocumentMetadata:
    (path,) = folder.glob(f"{prefix}*.txt")
    return parse_metadata(path.read_text(encoding="utf-8"))


# --- the seeds ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("000", DocumentMetadata(
            committee="Health and Wellbeing Board", meeting_date="2018-02-13", item_number="150",
            title="Improving health and wellbeing – a system leadership approach to transformation")),
        ("001", DocumentMetadata(title="Sustainability and Transformation Partnership Update")),
        ("002", DocumentMetadata(title="Place-Based Systems Of Care: A Way Forward For The NHS In England")),
        ("003", DocumentMetadata(
            committee="Cabinet", meeting_date="2016-07-28", item_number="20",
            title="One Herefordshire and the Herefordshire and Worcestershire sustainability and "
                  "transformation plan")),
        ("004", DocumentMetadata(
            title="Integrated Care System Development and Development of the Draft Integrated Care Strategy")),
    ],
)
def test_seed_metadata(prefix: str, expected: DocumentMetadata) -> None:
    assert _parse(SEEDS, prefix) == expected


# --- patterns found in the dev excerpts ---------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "field", "value"),
    [
        # "Meeting: 21/07/2011 - County Council (Item 55)"
        ("a02", "committee", "County Council"),
        ("a02", "meeting_date", "2011-07-21"),
        ("a02", "item_number", "55"),
        ("a02", "title", "Establishing a Shadow Health and Wellbeing Board for Kent"),
        # "(Item 10.)" and "10. Integrated Education ... pdf icon PDF 93 KB"
        ("b25", "item_number", "10"),
        ("b25", "title", "Integrated Education Capital Programme Update"),
        # Item heading with no number under the Meeting line
        ("c22", "title", "Capital Programme Outturn 2015/16 and Revisions to the 2016/17 - 2020/21 Programme"),
        # "45 Review of Medium Term Financial Strategy" with "PDF 65 KB" on the next line
        ("c08", "item_number", "45"),
        ("c08", "title", "Review of Medium Term Financial Strategy"),
        # No Meeting line: "5 Kent and Medway Integrated Care Strategy PDF 135 KB"
        ("a08", "item_number", "5"),
        ("a08", "title", "Kent and Medway Integrated Care Strategy"),
        # "- Meeting of Overview and Scrutiny Committee, Monday, 6th January, 2025 4.00 pm (Item OS.130)"
        ("d19", "committee", "Overview and Scrutiny Committee"),
        ("d19", "meeting_date", "2025-01-06"),
        ("d19", "item_number", "OS.130"),
        # Decision details: "Decided at meeting: 16/02/2015 - Cabinet"
        ("a13", "committee", "Cabinet"),
        ("a13", "meeting_date", "2015-02-16"),
        ("a13", "title", "Care and Support Charging Policy"),
        # Issue - decisions: "24/08/2015 - Use of the Public Health Grant ..."
        ("a10", "meeting_date", "2015-08-24"),
        ("a10", "title", "Use of the Public Health Grant Unallocated Reserve to provide one-off funding"),
        # "Special Meeting, Cabinet - Tuesday, 23rd April, 2013 5.00 pm"
        ("e13", "committee", "Cabinet"),
        ("e13", "meeting_date", "2013-04-23"),
        # "Meeting documents" / "Council" / "Wednesday, 21st November, 2012 7.30 pm"
        ("c18", "committee", "Council"),
        ("c18", "meeting_date", "2012-11-21"),
        # "Health and Wellbeing Board (Special Meeting) – 14 February 2014"
        ("a17", "committee", "Health and Wellbeing Board"),
        ("a17", "meeting_date", "2014-02-14"),
        # "Adult & Children’s Services Cabinet Member – Minutes – 9 March 2012"
        ("b05", "committee", "Adult & Children’s Services Cabinet Member"),
        ("b05", "meeting_date", "2012-03-09"),
        # "City of York Council" / "Committee Minutes" / "Decision Session - ..." / "15 December 2021"
        ("e11", "council", "City of York Council"),
        ("e11", "committee", "Decision Session - Executive Member for Health and Adult Social Care"),
        ("e11", "meeting_date", "2021-12-15"),
        # "Salford City Council - Record of Decision (Cabinet)"
        ("e06", "council", "Salford City Council"),
        # An excerpt that starts at its item title, with "Minutes:" under it
        ("d11", "title", "Highway Maintenance"),
    ],
)
def test_dev_patterns(prefix: str, field: str, value: str) -> None:
    assert getattr(_parse(DEV, prefix), field) == value


def test_council_is_not_guessed_from_the_body() -> None:
    # a18 names "Lancashire County Council" only in its minutes text.
    metadata = _parse(DEV, "a18")
    assert "Lancashire County Council" in (DEV / "a18_lancashire_bcf-plan-2023-25.txt").read_text()
    assert metadata.council is None


def test_numbered_lines_without_a_report_link_are_not_item_headings() -> None:
    # e11 lists several items ("38. Declarations of Interest", ...); none is the page's item.
    metadata = _parse(DEV, "e11")
    assert metadata.item_number is None and metadata.title is None


@pytest.mark.parametrize("path", DEV_FILES, ids=lambda path: path.name)
def test_every_dev_file_parses_with_valid_dates(path: Path) -> None:
    metadata = parse_metadata(path.read_text(encoding="utf-8"))
    if metadata.meeting_date is not None:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", metadata.meeting_date)
        date.fromisoformat(metadata.meeting_date)
    assert metadata.url is None


def test_meeting_lines_agree_with_the_sidecar() -> None:
    sidecar = load_sidecar(DEV)
    checked = 0
    for path in DEV_FILES:
        text = path.read_text(encoding="utf-8")
        if not re.search(r"^Meeting: \d", text, re.MULTILINE):
            continue
        parsed, known = parse_metadata(text), sidecar[path.name]
        assert (parsed.committee, parsed.meeting_date) == (known.committee, known.meeting_date), path.name
        checked += 1
    assert checked >= 40


# --- written-out dates and edge cases -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Record of Decision\nDate: Thursday, 21st July, 2011\n", "2011-07-21"),
        ("Decision details\n\nX\n\nDate of decision: 21 July 2011\n", "2011-07-21"),
        ("Date: 3rd Sept 2019\n", "2019-09-03"),
        ("Meeting: 31/02/2018 - Cabinet (Item 1)\n", None),  # not a real date
        ("The meeting on 13/02/2018 agreed the plan.\n", None),  # body mention only
    ],
)
def test_dates(text: str, expected: str | None) -> None:
    assert parse_metadata(text).meeting_date == expected


def test_empty_text_has_no_metadata() -> None:
    assert parse_metadata("") == DocumentMetadata()


def test_sidecar_wins_over_parsed_text() -> None:
    parsed = _parse(SEEDS, "000")
    sidecar = DocumentMetadata(council="Herefordshire Council", title="Sidecar title")
    merged = sidecar.merged_over(parsed)
    assert merged.council == "Herefordshire Council"
    assert merged.title == "Sidecar title"
    assert merged.committee == "Health and Wellbeing Board"
    assert merged.item_number == "150"


# --- the sidecar --------------------------------------------------------------------------


def test_dev_sidecar_loads_every_entry() -> None:
    sidecar = load_sidecar(DEV)
    assert len(sidecar) == 170
    assert set(sidecar) == {path.name for path in DEV_FILES}
    assert sidecar["a02_kent_shadow-hwb.txt"] == DocumentMetadata(
        council="Kent County Council",
        committee="County Council",
        meeting_date="2011-07-21",
        title="Establishing a Shadow Health and Wellbeing Board for Kent",
        url="https://democracy.kent.gov.uk:9071/ieIssueDetails.aspx?IId=17862&Opt=3&PlanId=0",
    )
    assert sidecar["a03_plymouth_hwb-strategy.txt"].meeting_date is None


def test_missing_sidecar_is_empty(tmp_path: Path) -> None:
    assert load_sidecar(tmp_path) == {}


def test_blank_lines_are_allowed(tmp_path: Path) -> None:
    (tmp_path / "sources.jsonl").write_text(
        '\n{"file": "a.txt", "council": "Kent County Council", "meeting_date": null}\n\n  \n'
        '{"file": "b.txt", "meeting_date": "2020-01-31", "title": "Budget"}\n',
        encoding="utf-8",
    )
    sidecar = load_sidecar(tmp_path)
    assert sidecar == {
        "a.txt": DocumentMetadata(council="Kent County Council"),
        "b.txt": DocumentMetadata(meeting_date="2020-01-31", title="Budget"),
    }


@pytest.mark.parametrize(
    ("bad_line", "problem"),
    [
        ('{"file": "b.txt", ', "not valid JSON"),
        ('["b.txt"]', "expected a JSON object"),
        ('{"council": "Kent County Council"}', 'missing "file"'),
        ('{"file": "b.txt", "venue": "Town Hall"}', "unknown key(s) venue"),
        ('{"file": "b.txt", "meeting_date": "13/02/2018"}', "is not a date written YYYY-MM-DD"),
        ('{"file": "b.txt", "meeting_date": "2021-02-30"}', "is not a date written YYYY-MM-DD"),
        ('{"file": "b.txt", "title": 42}', '"title" must be a string or null'),
        ('{"file": "a.txt"}', 'already described on line 1'),
    ],
)
def test_sidecar_errors_name_the_line(tmp_path: Path, bad_line: str, problem: str) -> None:
    path = tmp_path / "sources.jsonl"
    path.write_text(json.dumps({"file": "a.txt"}) + "\n\n" + bad_line + "\n", encoding="utf-8")
    with pytest.raises(SidecarError) as caught:
        load_sidecar(tmp_path)
    assert caught.value.line == 3
    assert caught.value.path == path
    assert problem in caught.value.problem
    assert f"line 3: {caught.value.problem}" in str(caught.value)


def test_sidecar_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "sources.jsonl").write_bytes(
        b'{"file": "a.txt"}\n{"file": "b.txt", "council": "Caf\xe9"}\n'
    )
    with pytest.raises(SidecarError) as caught:
        load_sidecar(tmp_path)
    assert caught.value.line == 2 and "UTF-8" in caught.value.problem
