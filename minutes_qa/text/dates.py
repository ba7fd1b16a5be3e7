"""Month names and dates as minutes and members write them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

MONTHS: tuple[str, ...] = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
"""English month names, January first: every month table is built from this one (never the locale's)."""

MONTH_NUMBERS: Mapping[str, int] = {
    **{name.lower(): number for number, name in enumerate(MONTHS, start=1)},
    **{name[:3].lower(): number for number, name in enumerate(MONTHS, start=1)},
    # The one abbreviation minutes use besides a month's first three letters.
    "sept": 9,
}
"""Every lower-case spelling of a month (full name, "jan" ... "dec", "sept") to its number."""


def month_pattern(names: Iterable[str]) -> str:
    """A regex alternation of ``names``, longest first so that "September" is tried before "Sep"."""
    return "|".join(sorted(names, key=len, reverse=True))


def human_date(iso_date: str | None) -> str | None:
    """'2018-02-13' -> '13 February 2018'; what it cannot read is passed through as given."""
    if not iso_date:
        return None
    try:
        parsed = date.fromisoformat(iso_date)
    except ValueError:
        return iso_date
    return f"{parsed.day} {MONTHS[parsed.month - 1]} {parsed.year}"
