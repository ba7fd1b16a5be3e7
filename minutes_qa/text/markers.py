"""The pieces of a list marker ("·", "(b)", "iv)", "2.", "10.1") that minutes open list items with.

Each use composes its own anchored pattern from these pieces, because each asks a different
question (is this line a list item, what may be dropped before a quote, where does a sentence
start); the characters and numbering shapes themselves are defined only here.
"""

from __future__ import annotations

import re

BULLETS = "·•▪●◦‣∙-*–"
"""The bullet characters minutes text carries, as pasted from word processors and web pages."""

BULLET = f"[{re.escape(BULLETS)}]"
"""One bullet character, as a regex."""

BRACKETED = r"\(?[a-z0-9]{1,4}"
"""A short item label of letters, digits or roman numerals, maybe opened by a bracket: "(b", "iv",
"12"; each use says what closes it (")" or "."). Lower case only: "J. Smith" opens with an initial."""

SECTION_NUMBER = r"\d{1,2}(?:\.\d{1,2})+"
"""A number with sub-numbers: "10.1", "12.10.3"."""

NUMBER = r"\d{1,2}"
"""An item number: "2" of "2.". A bare number ("79 children") is a list marker only where a use says so."""

ROMAN = r"[ivx]{2,5}"
"""A lower-case roman numeral of two letters or more ("iv", "xii"); one letter reads as a letter."""
