"""Filters as Milvus boolean expressions, executed by the engine (pure functions).

They select exactly the passages that :class:`index.document_mask.DocumentMask` allows in the
embedded store: committee and council match a part of the name, ignoring case, which Milvus's
``like`` cannot do (it is case-sensitive), so a filter is first resolved against the distinct
names the index holds (few, and known to the reader) into an ``in [...]`` list of exact names.
Dates are compared as day numbers (``meeting_day``, 0 when unknown).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date

from minutes_qa.contract import Filters

# An expression no passage satisfies (ids are rows, never negative).
NOTHING = "id < 0"


def literal(value: str) -> str:
    """``value`` as a Milvus string literal.

    JSON's escaping of quotes, backslashes and control characters is what Milvus reads, but not its
    ``\\uXXXX`` escapes: other characters (a curly apostrophe in a committee's name) go in as they are.
    """
    return json.dumps(value, ensure_ascii=False)


def filter_expression(filters: Filters | None, committees: Iterable[str], councils: Iterable[str]) -> str:
    """The expression for ``filters`` ("" when it restricts nothing; :data:`NOTHING` when nothing can match).

    ``committees`` and ``councils``: every distinct name stored in the generation.
    """
    if filters is None:
        return ""
    parts = []
    if filters.committee:
        parts.append(_one_of("committee", _containing(committees, filters.committee)))
    if filters.council:
        parts.append(_one_of("council", _containing(councils, filters.council)))
    if filters.file:
        parts.append(f"file == {literal(filters.file)}")
    if filters.since or filters.until:
        # A strict date filter needs a meeting date (as DocumentMask: one given, even if unreadable).
        parts.append(f"has_date == true and ({date_expression(filters.since, filters.until)})")
    return combine(*parts)


def date_expression(since: date | None, until: date | None) -> str:
    """Meetings between ``since`` and ``until`` (inclusive), or of unknown date."""
    bounds = []
    if since is not None:
        bounds.append(f"meeting_day >= {since.toordinal()}")
    if until is not None:
        bounds.append(f"meeting_day <= {until.toordinal()}")
    return f"({' and '.join(bounds)}) or meeting_day == 0" if bounds else ""


def ids_expression(rows: Iterable[int]) -> str:
    """Passages whose row is one of ``rows``."""
    return f"id in [{', '.join(str(int(row)) for row in rows)}]"


def combine(*parts: str) -> str:
    """The conjunction of the non-empty ``parts``; :data:`NOTHING` if any is."""
    present = [part for part in parts if part]
    if NOTHING in present:
        return NOTHING
    return " and ".join(f"({part})" for part in present)


def day_number(meeting_date: str | None) -> int:
    """The ``meeting_day`` stored for a meeting date: its proleptic ordinal, 0 if none or unreadable."""
    if not meeting_date:
        return 0
    try:
        return date.fromisoformat(meeting_date).toordinal()
    except ValueError:
        return 0


def _containing(names: Iterable[str], needle: str) -> list[str]:
    needle = needle.lower()
    return sorted({name for name in names if needle in name.lower()})


def _one_of(field: str, names: list[str]) -> str:
    if not names:
        return NOTHING
    return f"{field} in [{', '.join(literal(name) for name in names)}]"
