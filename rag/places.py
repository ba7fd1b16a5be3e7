"""Which of the index's councils a question names (pure logic).

Minutes of one council rarely answer a question about another: "Has Slough's board signed
off its suicide prevention plan?" is not answered by Solihull's strategy, however close the
words. Councils are recognised by the distinctive part of their name ("Slough" for "Slough
Borough Council", "Hammersmith and Fulham" for "London Borough of Hammersmith & Fulham").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache

# Words every council name shares; what is left names the place.
_GENERIC = frozenset(
    "council borough county city district metropolitan royal of the london corporation unitary authority".split()
)
# Words that make another place of the next one.
_QUALIFIERS = frozenset("greater north south east west central mid upper lower new old inner outer".split())


@dataclass(frozen=True)
class Places:
    """The councils of an index and the patterns that recognise each in free text."""

    patterns: dict[str, re.Pattern[str]]

    @cached_property
    def _first_words(self) -> dict[str, str]:
        """Each council's first word of its place name, lower-cased: its pattern's first literal."""
        firsts = {council: place_name(council).replace("&", " and ").split()[0].lower() for council in self.patterns}
        # "and" also matches "&" (see _pattern): no literal to look for.
        return {council: "" if first == "and" else first for council, first in firsts.items()}

    @classmethod
    def of(cls, councils: Iterable[str]) -> Places:
        patterns = {}
        for council in councils:
            name = place_name(council)
            if name:
                patterns[council] = _pattern(name)
        return cls(patterns)

    def named_in(self, text: str) -> frozenset[str]:
        """The councils ``text`` names.

        Where one council's name holds another's ("Surrey Heath" and "Surrey"), only the longer
        counts; a place after a qualifier ("Greater Manchester") is another place.
        """
        lowered = text.lower()
        found = [
            (match.start(), match.end(), council)
            for council, pattern in self.patterns.items()
            # A council whose first word the text lacks cannot be named in it: most are passed over at that.
            if self._first_words[council] in lowered
            for match in pattern.finditer(text)
            if not _qualified(text, match.start())
        ]
        return frozenset(
            council
            for start, end, council in found
            if not any(s <= start and end <= e and (e - s) > (end - start) for s, e, _ in found)
        )


def concerns(named_councils: frozenset[str], council: str | None, text: str) -> bool:
    """Whether a passage of ``council`` reading ``text`` can speak for the councils a question names.

    True when the question names none, when the passage's council is unknown or among them, or
    when the passage names one of them itself (a joint board, a neighbour's scheme).
    """
    if not named_councils or council is None or council in named_councils:
        return True
    return any(_pattern(place_name(named)).search(text) for named in named_councils)


def place_name(council: str) -> str:
    """The distinctive part of a council's name: "Epsom and Ewell" for "Epsom and Ewell Borough Council"."""
    words = [word for word in re.split(r"[\s,]+", council) if word and word.lower() not in _GENERIC]
    return " ".join(words)


@lru_cache(maxsize=1024)
def _pattern(name: str) -> re.Pattern[str]:
    words = name.replace("&", " and ").split()
    body = r"[\s,]+".join("(?:and|&)" if word == "and" else re.escape(word) for word in words)
    return re.compile(rf"(?<![\w-]){body}(?![\w-])", re.I)


def _qualified(text: str, start: int) -> bool:
    before = re.search(r"(\S+)\s+$", text[:start])
    return bool(before and before.group(1).lower() in _QUALIFIERS)
