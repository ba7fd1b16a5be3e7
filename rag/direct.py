"""The direct answer: the exact words of a quote that answer the question (pure functions).

"Who seconded the budget?" is answered by "Councillor Sirajul Islam", "How much was set aside?"
by "£5m", "Are the beds being reopened?" by "No" when the quoted decision says "not to re-open".
The words are a slice of the quote (or "Yes"/"No"), so they stay checkable against the minutes.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter

from minutes_qa.index.keywords import keyword_tokens, stemmer

from .answer_kinds import AnswerKind, Expectation, answer_spans, holds_answer, negated_near, office_form, settles
from .evidence import content_terms

# Verbs a "who" question asks the agent of: the name next to them in the quote is the answer.
_AGENT_STEMS = frozenset(
    stemmer().stemWords(
        "proposed seconded moved chaired presented briefed introduced appointed nominated led raised asked "
        "blamed explained reported".split()
    )
)
# Minutes write "proposed by" for a motion a question says was "moved".
_SAME_ACT = {"move": "propos"}
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
# Two names joined in one quote ("proposed by Cllr A and seconded by Cllr B") are given together.
_MAX_JOINED_CHARS = 120
# The holder of an office asked about is named within this many words of it: "Clerk: Tom Brindley",
# "Cllr Edwards (Chairman)", "That Cllr Robinson be elected as Health and Wellbeing Board Chair".
_OFFICE_REACH = 8
# "... she would now Chair": a pronoun this many words before the office stands for its holder.
_PRONOUN = re.compile(r"\b(?:she|he)\b", re.I)
_PRONOUN_REACH = 3
# Where one clause or list entry of a quote ends: ";", a table cell's "|", a sentence's end,
# ", and"/"and" before an amount, or a list marker ("ii)", "(b)", "3.").
_CLAUSE_BREAK = re.compile(
    r"[;|]|[.!?](?=\s)|,?\s+(?:and|but|while|whereas)\s+(?=[£$€\d])|\s\(?(?:[ivx]{1,4}|[a-h]|\d{1,2})[.)](?=\s)"
)


def direct_answer_in(question: str, expectation: Expectation, quote: str) -> str | None:
    """The words of ``quote`` that answer ``question``, or None when it holds none."""
    if expectation.kind is AnswerKind.OUTCOME:
        return _yes_or_no(question, expectation, quote) if expectation.yes_no else None
    spans = answer_spans(expectation, quote)
    if not spans:
        return None
    words = _words(quote)
    question_stems = _stems(question)
    anchors = [start for start, word in words if word in question_stems]
    if expectation.kind is AnswerKind.PERSON:
        return _person(quote, expectation, spans, words, question_stems, anchors)
    # Topic words, not "the" or "for", tell which clause a figure answers for.
    topic = content_terms(question)
    start, end = _in_asked_clause(quote, spans, [start for start, word in words if word in topic], anchors)
    return quote[start:end]


def _person(
    quote: str, expectation: Expectation, spans: list[tuple[int, int]], words: list[tuple[int, str]],
    question_stems: set[str], anchors: list[int],
) -> str | None:
    """The name (or two joined names) of ``quote`` that a "who" question asks for."""
    if expectation.offices:
        spans = _holders(quote, spans, words, expectation.offices)
        if not spans:
            return None
    agents = [start for start, word in words if word in question_stems & _AGENT_STEMS]
    if len(agents) > 1:
        picked = sorted({_nearest_after(spans, position) for position in agents})
        if quote_span := _joined(picked):
            return quote[quote_span[0] : quote_span[1]]
    start, end = _nearest(spans, agents or anchors)
    return quote[start:end]


def _holders(
    quote: str, spans: list[tuple[int, int]], words: list[tuple[int, str]], offices: frozenset[str]
) -> list[tuple[int, int]]:
    """The names of ``spans`` that hold one of ``offices`` in ``quote``.

    "Who was clerk?" is answered by the name beside "Clerk", not by any name in a sentence that
    mentions the clerk ("Cllr Jones gave the record to the clerk"); "Jo-anne Alner explained ...
    she would now Chair the Board" by the name the pronoun before the office refers back to.
    """
    asked = {office_form(office) for office in offices}
    positions = [start for start, word in words if office_form(word) in asked]
    near = [span for span in spans if any(_words_apart(quote, span, position) <= _OFFICE_REACH for position in positions)]
    if near:
        return near
    referred = [span for span in spans for position in positions if _refers_back(quote, span, position)]
    return [max(referred)] if referred else []


def _yes_or_no(question: str, expectation: Expectation, quote: str) -> str | None:
    """"Yes" or "No" when the quote records a decision on what the question asks about."""
    # "Big Lottery Fund, acknowledgement of receipt of grant application. | Noted" says neither
    # whether the bid succeeded nor that it failed.
    if not holds_answer(expectation, quote) or not settles(quote):
        return None
    # A decision on something else that shares one word with the question ("noted ... mental health
    # training" for "has the health board signed off the plan?") says neither yes nor no.
    topic = content_terms(question)
    if len(topic & set(keyword_tokens([quote])[0])) < min(2, len(topic)):
        return None
    question_stems = _stems(question)
    mentions = [start for start, word in _words(quote) if word in question_stems]
    if not mentions:
        return None
    return "No" if any(negated_near(quote, position) for position in mentions) else "Yes"


def _stems(text: str) -> set[str]:
    return {word for _, word in _words(text)}


def _words(text: str) -> list[tuple[int, str]]:
    matches = list(_WORD.finditer(text))
    stems = stemmer().stemWords([match.group(0).lower() for match in matches])
    return [(match.start(), _SAME_ACT.get(stem, stem)) for match, stem in zip(matches, stems, strict=True)]


def _in_asked_clause(
    quote: str, spans: list[tuple[int, int]], topic_anchors: list[int], anchors: list[int]
) -> tuple[int, int]:
    """The span in the clause holding most of the question's topic words; among those, the nearest
    to any word of the question.

    "Balance of £71.49 | Noted iii) footway lighting charges ... calculated at £4,303.89": a figure
    answers for the words of its own clause or list entry, not for those of the next one, however
    close they are.
    """
    bounds = [match.end() for match in _CLAUSE_BREAK.finditer(quote)]

    def clause(position: int) -> int:
        return bisect.bisect_right(bounds, position)

    anchored = Counter(clause(position) for position in topic_anchors)
    most = max(anchored[clause(span[0])] for span in spans)
    return _nearest([span for span in spans if anchored[clause(span[0])] == most], anchors)


def _refers_back(quote: str, span: tuple[int, int], position: int) -> bool:
    """Whether a "she"/"he" after the name at ``span`` closely precedes the office at ``position``
    (the caller takes the nearest such name)."""
    pronouns = list(_PRONOUN.finditer(quote, span[1], position))
    return bool(pronouns) and len(quote[pronouns[-1].end() : position].split()) <= _PRONOUN_REACH


def _words_apart(quote: str, span: tuple[int, int], position: int) -> int:
    """Words between ``span`` and the word starting at ``position``."""
    between = quote[span[1] : position] if position >= span[1] else quote[position : span[0]]
    # The office word itself is in the slice when it comes first.
    return len(between.split()) - (position < span[0])


def _nearest(spans: list[tuple[int, int]], anchors: list[int]) -> tuple[int, int]:
    if not anchors:
        return spans[0]
    return min(spans, key=lambda span: min(abs(span[0] - anchor) for anchor in anchors))


def _nearest_after(spans: list[tuple[int, int]], position: int) -> tuple[int, int]:
    after = [span for span in spans if span[0] >= position]
    return min(after, key=lambda span: span[0] - position) if after else _nearest(spans, [position])


def _joined(spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    start, end = spans[0][0], spans[-1][1]
    return (start, end) if len(spans) > 1 and end - start <= _MAX_JOINED_CHARS else None
