"""Reading a question: glossary expansion and the date range it states, if it states one."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from minutes_qa.text.dates import MONTH_NUMBERS, month_pattern

from .glossary import Glossary

# Full names and three-letter abbreviations. "Sept" is not read in questions (nor by the follow-up
# reader): reading it would give some questions a date filter they never had, a change of its own.
_MONTHS = {name: number for name, number in MONTH_NUMBERS.items() if name != "sept"}
_MONTH = month_pattern(_MONTHS)
_YEAR = r"(19[5-9]\d|20\d\d)"
_WHEN = rf"(?:(?P<month>{_MONTH})\s+)?{_YEAR}"

_BETWEEN = re.compile(rf"\bbetween\s+{_YEAR}\s+and\s+{_YEAR}\b", re.I)
_SINCE = re.compile(rf"\b(?:since|after|from)\s+(?:(?P<month>{_MONTH})\s+)?{_YEAR}\b", re.I)
_BEFORE = re.compile(rf"\b(?:before|until|prior to)\s+(?:(?P<month>{_MONTH})\s+)?{_YEAR}\b", re.I)
_IN = re.compile(rf"\b(?:in|during)\s+(?:(?P<month>{_MONTH})\s+)?{_YEAR}\b(?!\s*[-/])", re.I)


@dataclass(frozen=True)
class QueryAnalysis:
    """What retrieval needs to know about a question."""

    text: str
    expansions: tuple[str, ...]
    since: date | None
    until: date | None

    @property
    def keyword_text(self) -> str:
        return " ".join([self.text, *self.expansions])

    @property
    def dense_text(self) -> str:
        return f"{self.text} ({'; '.join(self.expansions)})" if self.expansions else self.text


def analyse_query(text: str, glossary: Glossary) -> QueryAnalysis:
    """Expand acronyms and read an unambiguous date range ("in 2018", "since March 2022")."""
    normalised = " ".join(text.split())
    since, until = question_dates(normalised)
    return QueryAnalysis(normalised, tuple(glossary.expand(normalised)), since, until)


def question_dates(text: str) -> tuple[date | None, date | None]:
    """The date range a question names, or (None, None) when it names none or several."""
    if match := _BETWEEN.search(text):
        first, last = sorted((int(match.group(1)), int(match.group(2))))
        return date(first, 1, 1), date(last, 12, 31)
    ranges = []
    for match in _IN.finditer(text):
        ranges.append(_period(match.group("month"), int(match.group(2))))
    since_match, before_match = _SINCE.search(text), _BEFORE.search(text)
    if len(ranges) > 1:
        return None, None
    if ranges and not (since_match or before_match):
        return ranges[0]
    since = _period(since_match.group("month"), int(since_match.group(2)))[0] if since_match else None
    until = _period(before_match.group("month"), int(before_match.group(2)))[0] if before_match else None
    if before_match and until:
        until = date.fromordinal(until.toordinal() - 1)
    return since, until


def _period(month_name: str | None, year: int) -> tuple[date, date]:
    if not month_name:
        return date(year, 1, 1), date(year, 12, 31)
    month = _MONTHS[month_name.lower()]
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
