"""Which documents a request may draw on, decided for every document at once.

Filters and a question's dates are matched against each document's metadata on every request.
Looping over the documents in Python cost ~60 ms per dated question at 36k documents (100k
passages) and grows with the index, so the metadata is laid out once per generation as numpy
columns and matched with array operations; committee and council are matched on their distinct
values, which are few.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np

from minutes_qa.contract import Filters
from minutes_qa.index.records import Document

# Day number (proleptic ordinal, always >= 1) of a document without a readable meeting date.
_NO_DAY = 0


class DocumentMask:
    """Boolean masks over ``documents``, in the order given."""

    def __init__(self, documents: Sequence[Document]) -> None:
        self._files = np.array([doc.file for doc in documents], dtype=object)
        self._committees = _Labels([doc.metadata.committee for doc in documents])
        self._councils = _Labels([doc.metadata.council for doc in documents])
        self._has_date = np.array([doc.metadata.meeting_date is not None for doc in documents], dtype=bool)
        self._day = np.array([_day(doc.metadata.meeting_date) for doc in documents], dtype=np.int32)

    def matching(self, filters: Filters) -> np.ndarray:
        """Documents that satisfy every field set in ``filters``; a date range needs a meeting date."""
        allowed = np.ones(len(self._files), dtype=bool)
        if filters.committee:
            allowed &= self._committees.containing(filters.committee)
        if filters.council:
            allowed &= self._councils.containing(filters.council)
        if filters.file:
            allowed &= self._files == filters.file
        if filters.since or filters.until:
            allowed &= self._has_date & self.within(filters.since, filters.until)
        return allowed

    def of_councils(self, councils: frozenset[str]) -> np.ndarray:
        """Documents of one of ``councils``, or of no known council."""
        return self._councils.among({council.lower() for council in councils} | {""})

    def within(self, since: date | None, until: date | None) -> np.ndarray:
        """Documents whose meeting falls between ``since`` and ``until`` (inclusive), or whose date is unknown."""
        inside = np.ones(len(self._day), dtype=bool)
        if since is not None:
            inside &= self._day >= since.toordinal()
        if until is not None:
            inside &= self._day <= until.toordinal()
        return inside | (self._day == _NO_DAY)


class _Labels:
    """One text field of every document, as codes into its distinct lower-cased values."""

    def __init__(self, values: Sequence[str | None]) -> None:
        distinct: dict[str, int] = {}
        self._codes = np.array([distinct.setdefault((value or "").lower(), len(distinct)) for value in values], dtype=np.int32)
        self._distinct = list(distinct)

    def containing(self, needle: str) -> np.ndarray:
        """Documents whose value contains ``needle``, ignoring case."""
        needle = needle.lower()
        return np.array([needle in value for value in self._distinct], dtype=bool)[self._codes]

    def among(self, values: set[str]) -> np.ndarray:
        """Documents whose lower-cased value is one of ``values``."""
        return np.array([value in values for value in self._distinct], dtype=bool)[self._codes]


def _day(meeting_date: str | None) -> int:
    if not meeting_date:
        return _NO_DAY
    try:
        return date.fromisoformat(meeting_date).toordinal()
    except ValueError:
        return _NO_DAY
