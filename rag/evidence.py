"""How well a piece of text covers a question's content words (pure functions)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from index.keywords import keyword_tokens

_NUMBER_QUESTION = re.compile(
    r"\b(how (much|many|far|long|often)|what (percentage|proportion|share|rate|number|amount|sum|figure|cost|total)|"
    r"how high|how low)\b",
    re.I,
)

# Words that every question about minutes uses and that say nothing about the topic.
_GENERIC = frozenset(
    keyword_tokens(
        [
            "council councils committee committees board boards meeting meetings minutes say said says "
            "discuss discussed decide decided decision agree agreed member members report reported tell told "
            "mention mentioned happen happened raise raised note noted outcome outcomes ask asked "
            # Question words: bm25s's English stop-word list keeps them.
            "what which who whom whose when where why how did does do done about was were is are has have had "
            "would could should can will any there their its this that these those"
        ]
    )[0]
)


def content_terms(question: str, expansions: Sequence[str] = ()) -> set[str]:
    """Stemmed topic words of a question, without stop words and generic minutes vocabulary."""
    return {token for token in keyword_tokens([question])[0] if token not in _GENERIC} | {
        token for expansion in expansions for token in keyword_tokens([expansion])[0] if token not in _GENERIC
    }


def weighted_coverage(terms: set[str], text: str, idf: dict[str, float]) -> float:
    """Share of the question's topic words in ``text``, each weighted by its rarity (idf).

    Rare words carry the question ("Disabled Facilities Grant", "20mph"); missing one of
    them says more about whether the text answers than missing a common one.
    """
    if not terms:
        return 0.0
    default = max(idf.values(), default=1.0)
    weights = {term: idf.get(term, default) for term in terms}
    found = set(keyword_tokens([text])[0]) & terms
    return sum(weights[term] for term in found) / sum(weights.values())


def asks_for_number(question: str) -> bool:
    """Whether the question wants a figure: an amount, count, rate or percentage."""
    return bool(_NUMBER_QUESTION.search(question))


def asks_for_person(question: str) -> bool:
    """Whether the question wants a person or body named."""
    return bool(re.match(r"\s*(who|whom|whose)\b", question, re.I)) or bool(
        re.search(r"\b(which|what) (councillors?|officers?|members?|cabinet members?|directors?|person|organisation)\b", question, re.I)
    )


_INSTITUTIONAL = frozenset(
    """Board Boards Council Councils Committee Committees Chair Chairman Vice Director Directors Health Care
    Social Services Service Strategy Plan Partnership Trust Fund Group Team Executive Cabinet Scrutiny Annual
    Report Independent Safeguarding Adults Children Adult Children's Public County City Borough District
    National Local Integrated System Care Act Officer Officers Member Members Mayor Leader Overview Policy
    Assembly Authority Authorities Commissioning Clinical NHS Integrated Wellbeing Housing Finance Planning""".split()
)


def names_someone(text: str) -> bool:
    """A person is named: a title before a name, or a first-and-last name that is not an institution."""
    if re.search(r"\b(Cllr|Councillor|Mr|Mrs|Ms|Miss|Dr|Professor|Prof|Sir|Dame|Lord|Baroness)\.?\s+[A-Z]", text):
        return True
    for first, last in re.findall(r"\b([A-Z][a-z]+)\s+([A-Z][a-z'’-]+)\b", text):
        if first not in _INSTITUTIONAL and last not in _INSTITUTIONAL:
            return True
    return False


def answer_type_met(question: str, text: str) -> bool:
    """Whether ``text`` holds the kind of thing the question asks for, where that can be told."""
    if asks_for_number(question) and not has_number(text):
        return False
    if asks_for_person(question) and not names_someone(text):
        return False
    return True


def has_number(text: str) -> bool:
    return bool(re.search(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion)\b", text, re.I))


def coverage(terms: set[str], text: str, original_terms: set[str] | None = None) -> float:
    """Share of the question's own topic words that ``text`` contains (expansions count as hits)."""
    basis = original_terms if original_terms is not None else terms
    if not basis:
        return 0.0
    found = set(keyword_tokens([text])[0]) & terms
    return min(1.0, len(found) / len(basis))
