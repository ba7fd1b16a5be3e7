"""Meeting metadata: read from ModernGov page text, or from a folder's ``sources.jsonl``.

``parse_metadata`` only reports what a page states in its own headings (the "Meeting:" line,
the agenda-item heading, the page's title and date lines); it never guesses from mentions in
the body. The ingest lays sidecar metadata over it: ``sidecar.merged_over(parsed)``.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from minutes_qa.text.dates import MONTH_NUMBERS, month_pattern

from .errors import SidecarError
from .records import DocumentMetadata

SIDECAR_NAME = "sources.jsonl"
_SIDECAR_KEYS = frozenset({"file", "url", "council", "committee", "meeting_date", "title"})

# --- dates --------------------------------------------------------------------------------

_NUMERIC_DATE = r"\d{1,2}/\d{1,2}/\d{4}"
# "Thursday, 21st July, 2011", "Monday 25 September 2017", "21 July 2011"
_WORD_DATE = (
    r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
    r"\d{1,2}(?:st|nd|rd|th)?\s+"
    r"(?:" + month_pattern(MONTH_NUMBERS) + r")\.?,?\s+\d{4}"
)
_ANY_DATE = f"(?:{_NUMERIC_DATE}|{_WORD_DATE})"
_TIME = r"(?:,?\s+\d{1,2}(?:[.:]\d{2})?\s*[ap]\.?m\.?)?"
_DASH = r"\s+[-–—]\s*"
_ITEM = r"(?:\s*\(Item\s+(?P<item>[^)]+?)\.?\))?"

# --- ModernGov lines ----------------------------------------------------------------------

# "Meeting: 13/02/2018 - Health and Wellbeing Board (Item 150)"
_MEETING_LINE = re.compile(
    rf"^Meeting:\s*(?P<date>{_NUMERIC_DATE})\s*[-–—]\s*(?P<committee>.+?){_ITEM}$", re.IGNORECASE
)
# "- Meeting of Overview and Scrutiny Committee, Monday, 6th January, 2025 4.00 pm (Item OS.130)"
_MEETING_OF_LINE = re.compile(
    rf"^(?:[-–•]\s*)?Meeting of\s+(?:the\s+)?(?P<committee>.+?),\s*"
    rf"(?P<date>{_WORD_DATE}){_TIME}{_ITEM}$",
    re.IGNORECASE,
)
# Decision pages: "Decided at meeting: 16/02/2015 - Cabinet"
_DECIDED_AT_LINE = re.compile(
    rf"^Decided at meeting:\s*(?P<date>{_NUMERIC_DATE})\s*[-–—]\s*(?P<committee>.+)$", re.IGNORECASE
)
# "Date of decision: 16/02/2015", record-of-decision "Date: 28th February 2012"
_DATE_LINE = re.compile(
    rf"^(?:Date of decision|Decision date|Date):\s*(?P<date>{_ANY_DATE})$", re.IGNORECASE
)
_DECISION_MAKER_LINE = re.compile(r"^Decision Maker:\s*(?P<committee>.+)$", re.IGNORECASE)
# A page heading naming the meeting and its date:
# "Schools Forum - Monday, 15th July, 2024 4.00 pm",
# "Health and Wellbeing Board (Special Meeting) – 14 February 2014",
# "Adult & Children’s Services Cabinet Member – Minutes – 9 March 2012"
_COMMITTEE_DATE_HEADING = re.compile(
    rf"^(?P<committee>.+?){_DASH}(?:Minutes{_DASH})?(?P<date>{_WORD_DATE}){_TIME}$", re.IGNORECASE
)
_DATE_ONLY_LINE = re.compile(rf"^(?P<date>{_WORD_DATE}){_TIME}$", re.IGNORECASE)
# Headings of pages that go on to name the meeting on the next line(s).
_MEETING_PAGE_MARKER = re.compile(
    r"^(?:(?:agenda|minutes|decisions?)(?:(?:,|\s+and)\s+(?:draft\s+)?(?:agenda|minutes|decisions?))*"
    r"|meeting documents|committee minutes)$",
    re.IGNORECASE,
)
# "Special Meeting, Cabinet" / "Cabinet (Extraordinary Meeting)": the committee is "Cabinet".
_MEETING_KIND = r"(?:special|extraordinary|annual|reconvened|adjourned|emergency|budget)\s+meeting"
_COMMITTEE_NOISE = re.compile(rf"^{_MEETING_KIND},\s*|\s*\({_MEETING_KIND}\)$", re.IGNORECASE)

# Headings of ModernGov pages about one item or decision; the next line is its title.
_TITLE_PAGE_MARKER = re.compile(
    r"^(?:Agenda item|Issue - meetings|Issue - decisions|Decision details)$", re.IGNORECASE
)
# "Issue - decisions" pages: "24/08/2015 - Use of the Public Health Grant ..."
_DECISION_HEADING = re.compile(rf"^(?P<date>{_NUMERIC_DATE})\s+[-–—]\s+(?P<title>.+)$")
# The link to an item's report, "pdf icon PDF 259 KB" ("pdf icon" is the icon's alt text).
_PDF_LINK = r"(?:pdf icon\s+)?PDF\s+[\d.]+\s*[KM]B"
# An agenda item heading, "150 Improving health and wellbeing ... pdf icon PDF 259 KB".
_ITEM_HEADING = re.compile(
    rf"^(?P<item>\d{{1,4}}[A-Za-z]?)\.?\s+(?P<title>\S.*?)(?P<pdf>\s*{_PDF_LINK})?$"
)
_PDF_SUFFIX = re.compile(rf"\s*{_PDF_LINK}$")
_PDF_SIZE_LINE = re.compile(rf"^{_PDF_LINK}$")
# Lines that open a section of the page rather than name anything.
_SECTION_LINE = re.compile(
    r"^(?:Minutes|Decisions?|Resolved|Purpose|Additional documents|Supporting documents|"
    r"Agendas, Meetings and Minutes.*|Agenda item.*|Issue - .*|Decision details)\s*:?$",
    re.IGNORECASE,
)
_MAX_TITLE_CHARS = 200
# Page headings appear within the first few non-empty lines.
_HEADER_LINES = 8

# A council's own name as a heading line: "City of York Council",
# "Salford City Council - Record of Decision (Cabinet)", "London Borough of Bromley".
_COUNCIL_HEADING = re.compile(
    r"^(?P<council>(?:London Borough|Royal Borough) of\s+[A-Z][\w'’&.,\- ]*?"
    r"|[A-Z][\w'’&.\-]*(?:\s+(?:of|and|upon|on|under|the|&|[A-Z][\w'’&.\-]*))*?\s+Council)"
    r"(?:\s+[-–—]\s+.*)?$"
)
_GENERIC_COUNCIL_WORDS = frozenset(
    {"county", "borough", "city", "district", "town", "parish", "metropolitan", "council", "full",
     "the", "of", "and", "special", "extraordinary", "annual"}
)


def parse_metadata(text: str) -> DocumentMetadata:
    """What a ModernGov page's own headings state about its meeting.

    Reads the "Meeting: dd/mm/yyyy - Committee (Item n)" line, the agenda-item heading
    ("150 Title pdf icon PDF 259 KB"), the title under "Agenda item", "Issue - meetings",
    "Issue - decisions" or "Decision details", decision-page lines ("Decided at meeting:",
    "Date of decision:", "Decision Maker:"), meeting headings with a written date
    ("Schools Forum - Monday, 15th July, 2024 4.00 pm") and a council's name standing as a
    heading. Fields the page does not state are None; dates are ISO 8601 (YYYY-MM-DD).
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    committee, meeting_date, item_number = _meeting(lines)
    title, heading_item = _item_heading(lines, item_number)
    decision_date, decision_title = _decision_heading(lines)
    return DocumentMetadata(
        council=_council(lines),
        committee=committee or _first_group(lines, _DECISION_MAKER_LINE, "committee"),
        meeting_date=(
            meeting_date or decision_date or _parse_date(_first_group(lines, _DATE_LINE, "date"))
        ),
        item_number=item_number or heading_item,
        title=title or decision_title or _page_title(lines),
    )


def _meeting(lines: list[str]) -> tuple[str | None, str | None, str | None]:
    """Committee, ISO date and item number of the meeting the page records."""
    for pattern in (_MEETING_LINE, _MEETING_OF_LINE, _DECIDED_AT_LINE):
        for line in lines:
            match = pattern.match(line)
            if match and (meeting_date := _parse_date(match["date"])):
                item = match.groupdict().get("item")
                return _clean_committee(match["committee"]), meeting_date, item
    return _meeting_heading(lines[:_HEADER_LINES])


def _meeting_heading(header: list[str]) -> tuple[str | None, str | None, str | None]:
    """A heading naming the meeting and its date: the page's first line, or the line(s)
    after "Agenda and minutes" / "Meeting documents" / "Committee Minutes"."""
    starts = [0] + [index + 1 for index, line in enumerate(header) if _MEETING_PAGE_MARKER.match(line)]
    for start in starts:
        if start >= len(header):
            continue
        match = _COMMITTEE_DATE_HEADING.match(header[start])
        if match and (meeting_date := _parse_date(match["date"])):
            return _clean_committee(match["committee"]), meeting_date, None
        # "Council" on one line, "Wednesday, 21st November, 2012 7.30 pm" on the next;
        # only after a marker, as a page's first line alone may be any title.
        if start > 0 and start + 1 < len(header):
            date_match = _DATE_ONLY_LINE.match(header[start + 1])
            if date_match and (meeting_date := _parse_date(date_match["date"])):
                return _clean_committee(header[start]), meeting_date, None
    return None, None, None


def _item_heading(lines: list[str], meeting_item: str | None) -> tuple[str | None, str | None]:
    """Title and number of the agenda item the page is about.

    On an "Issue - meetings" page the line after "Meeting: ..." is the item heading, with
    or without its number and report link. Elsewhere only a numbered line carrying the
    report's "PDF 259 KB" link (on it or on the next line) counts: other numbered lines
    ("38. Declarations of Interest") may be any of several items on the page.
    """
    for index, line in enumerate(lines[:-1]):
        if _MEETING_LINE.match(line) and not _SECTION_LINE.match(lines[index + 1]):
            return _split_item_heading(lines[index + 1 : index + 3], meeting_item)
    for index, line in enumerate(lines):
        match = _ITEM_HEADING.match(line)
        if match and _has_report_link(match, lines[index + 1 : index + 2]):
            return match["title"].strip(), match["item"]
    return None, None


def _split_item_heading(heading: list[str], meeting_item: str | None) -> tuple[str | None, str | None]:
    """("Title", "150") from "150 Title pdf icon PDF 259 KB" (and the line after it); the
    leading number is only the item's when it is the meeting line's or a report link follows."""
    line, following = heading[0], heading[1:]
    match = _ITEM_HEADING.match(line)
    if match and (_has_report_link(match, following) or match["item"] == meeting_item):
        return match["title"].strip(), match["item"]
    return _PDF_SUFFIX.sub("", line).strip() or None, None


def _has_report_link(heading: re.Match[str], following: list[str]) -> bool:
    return heading["pdf"] is not None or any(_PDF_SIZE_LINE.match(line) for line in following)


def _decision_heading(lines: list[str]) -> tuple[str | None, str | None]:
    """Date and title of an "Issue - decisions" entry: "24/08/2015 - <decision title>"."""
    for line in lines[:_HEADER_LINES]:
        match = _DECISION_HEADING.match(line)
        if match and (decision_date := _parse_date(match["date"])):
            return decision_date, match["title"].strip()
    return None, None


def _page_title(lines: list[str]) -> str | None:
    """The first line naming something after an "Agenda item"-style page heading; failing
    that, a page's first line when "Minutes:" or "Decision:" follows it closely, as on item
    pages saved without their heading."""
    for index, line in enumerate(lines[:_HEADER_LINES]):
        if not _TITLE_PAGE_MARKER.match(line):
            continue
        for candidate in lines[index + 1 : index + 3]:
            if _SECTION_LINE.match(candidate) or _MEETING_LINE.match(candidate):
                continue
            return candidate if len(candidate) <= _MAX_TITLE_CHARS else None
        return None
    if lines and any(_SECTION_LINE.match(line) for line in lines[1:3]) and _looks_like_title(lines[0]):
        return lines[0]
    return None


def _looks_like_title(line: str) -> bool:
    """Not a sentence ("To consider the report ...", "... was noted.") nor a report's
    byline ("Report of the Strategic Director People")."""
    return (
        len(line) <= _MAX_TITLE_CHARS
        and not line.endswith(".")
        and not re.match(r"(?:To\s+[a-z]|Report (?:of|by)\s)", line)
        and not _SECTION_LINE.match(line)
    )


def _council(lines: list[str]) -> str | None:
    """A council named by a heading line of its own, never by a mention in the body."""
    for line in lines[:_HEADER_LINES]:
        match = _COUNCIL_HEADING.match(line)
        if not match:
            continue
        council = match["council"].strip()
        words = {word.lower() for word in re.findall(r"[\w'’&.-]+", council)}
        if words - _GENERIC_COUNCIL_WORDS:
            return council
    return None


def _first_group(lines: list[str], pattern: re.Pattern[str], group: str) -> str | None:
    for line in lines:
        match = pattern.match(line)
        if match:
            return match[group].strip()
    return None


def _clean_committee(raw: str) -> str | None:
    committee = _COMMITTEE_NOISE.sub("", raw).strip()
    return committee or None


def _parse_date(raw: str | None) -> str | None:
    """ISO form of "13/02/2018" (day first, as UK pages write it) or "Thursday, 21st July,
    2011"; None when absent or not a real date."""
    if raw is None:
        return None
    numeric = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", raw.strip())
    if numeric:
        day, month, year = (int(part) for part in numeric.groups())
    else:
        worded = re.search(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})", raw)
        if worded is None or worded[2].lower() not in MONTH_NUMBERS:
            return None
        day, month, year = int(worded[1]), MONTH_NUMBERS[worded[2].lower()], int(worded[3])
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


# --- sidecar ------------------------------------------------------------------------------


def load_sidecar(folder: Path) -> dict[str, DocumentMetadata]:
    """Metadata per file name from ``folder/sources.jsonl``; an empty dict if there is none.

    Each non-blank line is a JSON object with ``file`` (required) and any of ``url``,
    ``council``, ``committee``, ``meeting_date`` (YYYY-MM-DD or null) and ``title``. Raises
    ``SidecarError`` naming the line for malformed JSON, a non-object, a missing or repeated
    ``file``, an unknown key, a non-string value or a date that is not YYYY-MM-DD.
    """
    path = folder / SIDECAR_NAME
    if not path.is_file():
        return {}
    entries: dict[str, DocumentMetadata] = {}
    first_line: dict[str, int] = {}
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            line = _decode_sidecar_line(path, number, raw)
            if not line.strip():
                continue
            file, metadata = _sidecar_entry(path, number, line)
            if file in entries:
                problem = f'"{file}" is already described on line {first_line[file]}'
                raise SidecarError(path, number, problem)
            entries[file] = metadata
            first_line[file] = number
    return entries


def _decode_sidecar_line(path: Path, number: int, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as error:
        raise SidecarError(path, number, "not valid UTF-8; save the file as UTF-8") from error


def _sidecar_entry(path: Path, number: int, line: str) -> tuple[str, DocumentMetadata]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        problem = f"not valid JSON ({error.msg} at column {error.colno})"
        raise SidecarError(path, number, problem) from error
    if not isinstance(record, dict):
        problem = f"expected a JSON object {{...}}, found {type(record).__name__}"
        raise SidecarError(path, number, problem)
    unknown = sorted(set(record) - _SIDECAR_KEYS)
    if unknown:
        allowed = ", ".join(sorted(_SIDECAR_KEYS))
        problem = f"unknown key(s) {', '.join(unknown)}; allowed keys are {allowed}"
        raise SidecarError(path, number, problem)
    for key, value in record.items():
        if value is not None and not isinstance(value, str):
            problem = f'"{key}" must be a string or null, not {json.dumps(value)}'
            raise SidecarError(path, number, problem)
    file = record.get("file")
    if not file:
        raise SidecarError(path, number, 'missing "file" (the name of the file this line describes)')
    meeting_date = record.get("meeting_date")
    if meeting_date is not None and not _is_iso_date(meeting_date):
        problem = f'"meeting_date" {json.dumps(meeting_date)} is not a date written YYYY-MM-DD (or null)'
        raise SidecarError(path, number, problem)
    return file, DocumentMetadata(
        council=record.get("council"),
        committee=record.get("committee"),
        meeting_date=meeting_date,
        title=record.get("title"),
        url=record.get("url"),
    )


def _is_iso_date(value: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
