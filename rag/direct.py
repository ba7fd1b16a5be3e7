"""The direct answer: the exact words of a quote that answer the question (pure functions).

"Who seconded the budget?" is answered by "Councillor Sirajul Islam", "How much was set aside?"
by "£5m", "Are the beds being reopened?" by "No" when the quoted decision says "not to re-open".
The words are a slice of the quote (or "Yes"/"No"), so they stay checkable against the minutes.
"""

from __future__ import annotations

import re

from minutes_qa.index.keywords import keyword_tokens, stemmer

from .answer_kinds import AnswerKind, Expectation, answer_spans, holds_answer, negated_near
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


def direct_answer_in(question: str, expectation: Expectation, quote: str) -> str | None:
    """The words of ``quote`` that answer ``question``, or None when it holds none."""
    if expectation.kind is AnswerKind.OUTCOME:
        return _yes_or_no(question, expectation, quote) if expectation.yes_no else None
    spans = answer_spans(expectation, quote)
    if not spans:
        return None
    question_stems = _stems(question)
    anchors = [start for start, word in _words(quote) if word in question_stems]
    if expectation.kind is AnswerKind.PERSON:
        agents = [start for start, word in _words(quote) if word in question_stems & _AGENT_STEMS]
        if len(agents) > 1:
            picked = sorted({_nearest_after(spans, position) for position in agents})
            if quote_span := _joined(picked):
                return quote[quote_span[0] : quote_span[1]]
        anchors = agents or anchors
    start, end = _nearest(spans, anchors)
    return quote[start:end]


def _yes_or_no(question: str, expectation: Expectation, quote: str) -> str | None:
    """"Yes" or "No" when the quote records a decision on what the question asks about."""
    if not holds_answer(expectation, quote):
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
