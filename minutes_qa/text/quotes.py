"""Quotes of minutes text as a reader copies them: white space folded, a list bullet dropped."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .markers import BULLET

# Only a bullet, not a number or "(b)": a numbered item's number is part of what the minutes say
# ("2. That the contract be awarded"), a bullet is layout.
_LEADING_BULLET = re.compile(rf"^{BULLET}\s+")


def quote_words(quote: str) -> str:
    """``quote`` (exact minutes text) for reading: white space folded, a leading bullet dropped."""
    return _LEADING_BULLET.sub("", " ".join(quote.split()))


def reference_text(reference: str, quotes: Sequence[str]) -> str:
    """What "Copy reference" puts on the clipboard: the reference, then each quote on its own line.

    'Health and Wellbeing Board, 13 February 2018, minute 150, Herefordshire Council' + newline +
    '“the quoted words”'. A quote is the exact minutes text with its white space folded (a line
    break inside the minutes would break the pasted line) and a list bullet dropped.
    """
    return "\n".join([reference, *(f"“{quote_words(quote)}”" for quote in quotes)])
