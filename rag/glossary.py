"""Council and NHS acronyms, expanded both ways so that "ICB" finds "integrated care board" and back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

# Acronyms that are also everyday words: expanded only when typed in capitals.
_EVERYDAY_WORDS = frozenset({"send", "nice", "mash", "la", "sen", "gp", "tor", "asc", "cil"})


class GlossaryError(ValueError):
    """A glossary file line is malformed."""


@dataclass(frozen=True)
class Glossary:
    """Acronym -> expansion, with the reverse lookup built once."""

    expansions: dict[str, str]

    @classmethod
    def load(cls, extra_file: Path | None = None) -> Glossary:
        """The built-in glossary, extended (and overridden) by ``extra_file`` if given."""
        builtin = resources.files(__package__).joinpath("data/glossary.txt").read_text(encoding="utf-8")
        entries = _parse(builtin, "built-in glossary")
        if extra_file is not None:
            if not extra_file.exists():
                raise GlossaryError(f"Glossary file {extra_file} does not exist (MINUTES_GLOSSARY_FILE).")
            entries.update(_parse(extra_file.read_text(encoding="utf-8"), str(extra_file)))
        return cls(entries)

    def expand(self, text: str) -> list[str]:
        """Terms to add to ``text``: expansions of its acronyms, acronyms of its expansions."""
        added: list[str] = []
        for word in re.findall(r"[A-Za-z&0-9]+", text):
            acronym = self._acronym_for(word)
            if acronym and self.expansions[acronym] not in added:
                added.append(self.expansions[acronym])
        lowered = " ".join(re.findall(r"[a-z0-9']+", text.lower()))
        for acronym, expansion, pattern in self._expansion_patterns:
            # The substring test first: it rules out nearly every expansion at a fraction of the search's cost.
            if expansion in lowered and pattern.search(lowered) and acronym not in added:
                added.append(acronym)
        return added

    @cached_property
    def _expansion_patterns(self) -> list[tuple[str, str, re.Pattern[str]]]:
        """Each acronym with its expansion and the pattern finding the expansion as words, compiled once."""
        return [
            (acronym, expansion, re.compile(rf"\b{re.escape(expansion)}s?\b")) for acronym, expansion in self.expansions.items()
        ]

    def _acronym_for(self, word: str) -> str | None:
        for candidate in (word, word[:-1] if word.endswith("s") and len(word) > 2 else None):
            if not candidate:
                continue
            if candidate in self.expansions:
                return candidate
            upper = candidate.upper()
            if upper in self.expansions and candidate.lower() not in _EVERYDAY_WORDS:
                return upper
        return None


def _parse(text: str, origin: str) -> dict[str, str]:
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        acronym, separator, expansion = line.partition(":")
        if not separator or not acronym.strip() or not expansion.strip():
            raise GlossaryError(f"{origin}, line {number}: expected 'ACRONYM: expansion', got {line!r}")
        entries[acronym.strip()] = expansion.strip().lower()
    return entries
