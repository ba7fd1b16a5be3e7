"""How well a piece of text covers a question's content words (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence

from index.keywords import keyword_tokens

# Words that every question about minutes uses and that say nothing about the topic.
_GENERIC = frozenset(
    keyword_tokens(
        [
            "council councils committee committees board boards meeting meetings minutes say said says "
            "discuss discussed decide decided decision agree agreed member members report reported tell told "
            "mention mentioned happen happened raise raised note noted outcome outcomes ask asked"
        ]
    )[0]
)


def content_terms(question: str, expansions: Sequence[str] = ()) -> set[str]:
    """Stemmed topic words of a question, without stop words and generic minutes vocabulary."""
    return {token for token in keyword_tokens([question])[0] if token not in _GENERIC} | {
        token for expansion in expansions for token in keyword_tokens([expansion])[0] if token not in _GENERIC
    }


def coverage(terms: set[str], text: str, original_terms: set[str] | None = None) -> float:
    """Share of the question's own topic words that ``text`` contains (expansions count as hits)."""
    basis = original_terms if original_terms is not None else terms
    if not basis:
        return 0.0
    found = set(keyword_tokens([text])[0]) & terms
    return min(1.0, len(found) / len(basis))
