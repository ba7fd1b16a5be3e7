"""Answer units: the sentences of a passage that an answer can quote, a lead-in whole with its list.

Minutes put decisions and findings in lists introduced by a lead-in ("RESOLVED that:", "The
following points were made:", "...three core statutory duties which were to:"). Quoting the
lead-in alone answers nothing, so a lead-in and the items that follow it form one unit. Every
unit is a span of the passage text, so its quote stays an exact substring. Pure logic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from minutes_qa.index.chunking import is_heading
from minutes_qa.text.markers import BRACKETED, BULLET, NUMBER
from minutes_qa.text.sentences import split_lines, split_sentences

# A sentence that announces what follows: it ends in a colon (":", ":-") or semicolon-introduced
# list, or is a bare decision heading ("RESOLVED", "Agreed").
_ANNOUNCES = re.compile(r"(:\s*-?|\b(which|that|as follows|were|are|be|to|including|namely)\s*[;:,]?)\s*$", re.I)
_DECISION_HEADING = re.compile(r"^\W*(resolved|agreed|decided|recommended|recommendations?)\b\W*(that)?\W*$", re.I)
# "Minutes:" and other one- or two-word headings end in a colon without announcing a list.
_MIN_LEAD_IN_WORDS = 3
# Whether a line continues a lead-in's list. The widest reading of a marker: "b." and "iv." as
# well as "(b)", any number with or without sub-numbers and full stop (a list numbered "1 ", "2 "
# is still a list), and a marker alone on its line; a wrong guess only makes a unit longer.
_LIST_MARKER = re.compile(rf"^\s*(?:{BULLET}|{BRACKETED}[).]|{NUMBER}(?:\.{NUMBER})*\.?)(?:\s+|$)")
_UNFINISHED = re.compile(r"(,|\b(and|or|by|of|to|the|for|with|from|in|on|at|a|an|&))\s*$", re.I)
_TERMINATED = re.compile(r"[.!?:;)\]]['\"’”]?\s*$")
_MIN_WORDS = 4
_MAX_ITEMS = 12
# Minutes record a question and its answer in two sentences: "Members asked why...", "people were
# confused as to the purpose of the Unit." then "It was clarified that...", "The Director responded
# that...". The answer is in the reply, the question's words in the first: they are one unit.
_RAISES = re.compile(
    r"\b(asked|asking|queried|query|questioned|enquired|wondered|sought clarification|confused|unclear|"
    r"concerns?|concerned|raised)\b",
    re.I,
)
_REPLIES = re.compile(
    r"^\W*(it was (clarified|explained|confirmed|advised|stated|reported|noted|responded) that|in (response|reply)\b|"
    r"(\S+\s+){0,6}?(responded|replied|clarified|answered)\b)",
    re.I,
)
_MAX_EXCHANGE_WORDS = 80
# "...that an alternative simplified document be produced. This could be a 'heat map'...": a sentence
# that names what the one before proposed, by "this" or "these", goes on with it.
_NAMES_THE_LAST = re.compile(r"^\W*(this|these|such)\s+(\w+\s+)?(could|would|might|will|should|may)\b", re.I)


@dataclass(frozen=True)
class Unit:
    """A quotable span ``[start, end)`` of a passage: one sentence, or a lead-in and its items."""

    start: int
    end: int
    items: int = 0
    """Sentences of the list a lead-in brought with it (0 for a plain sentence)."""


def answer_units(text: str, max_words: int) -> list[Unit]:
    """The units of ``text`` in order. Heading lines are left out; a lead-in takes the list items
    that follow it (marked items on lines of their own) up to ``max_words`` words."""
    sentences = split_sentences(text)
    lines = set(split_lines(text))
    units: list[Unit] = []
    position = 0
    while position < len(sentences):
        start, end = sentences[position]
        sentence = text[start:end]
        position += 1
        lead_in = is_lead_in(sentence)
        if (start, end) in lines and is_heading(sentence) and not lead_in:
            continue
        if lead_in:
            taken, unit_end = _list_after(text, sentences, position, end, max_words - len(sentence.split()))
            if taken:
                position += taken
                last = sentences[position - 1]
                if position < len(sentences) and _answered_by(text[slice(*last)], text[slice(*sentences[position])]):
                    unit_end = sentences[position][1]
                    position += 1
                units.append(Unit(start, unit_end, taken))
                continue
        # A line that ends mid-clause ("Proposed by Councillor Whybrow,") goes on in the next sentence.
        while position < len(sentences) and _continues(text[start:end], text[slice(*sentences[position])]):
            end = sentences[position][1]
            position += 1
        if position < len(sentences) and _answered_by(text[start:end], text[slice(*sentences[position])]):
            end = sentences[position][1]
            position += 1
        if len(text[start:end].split()) >= _MIN_WORDS:
            units.append(Unit(start, end))
    return units


def _answered_by(sentence: str, following: str) -> bool:
    """Whether ``following`` replies to a question or concern that ``sentence`` records, or says
    what the proposal it records would be ("This could be...")."""
    if len(sentence.split()) + len(following.split()) > _MAX_EXCHANGE_WORDS:
        return False
    return (bool(_RAISES.search(sentence)) and bool(_REPLIES.match(following))) or bool(_NAMES_THE_LAST.match(following))


def _continues(sentence: str, following: str) -> bool:
    """Whether ``following`` goes on with ``sentence``, cut by a line break mid-clause."""
    if _UNFINISHED.search(sentence):
        return True
    return not _TERMINATED.search(sentence) and following[:1].islower()


def is_lead_in(sentence: str) -> bool:
    """Whether ``sentence`` introduces a list rather than saying something itself."""
    sentence = sentence.strip()
    if _DECISION_HEADING.match(sentence):
        return True
    return len(sentence.split()) >= _MIN_LEAD_IN_WORDS and bool(_ANNOUNCES.search(sentence))


def _list_after(
    text: str, sentences: list[tuple[int, int]], position: int, end: int, budget: int
) -> tuple[int, int]:
    """How many of the sentences from ``position`` on belong to the list that a lead-in ending at
    ``end`` introduces, and where the last of them ends.

    The first item starts on a line of its own; later lines must start with a list marker, and
    sentences that continue an item's line belong to it.
    """
    count, words, items = 0, 0, 0
    for start, stop in sentences[position : position + _MAX_ITEMS]:
        on_own_line = "\n" in text[end:start]
        marked = bool(_LIST_MARKER.match(text[start:stop]))
        if count == 0 and not on_own_line:
            break
        if count > 0 and on_own_line and not marked:
            break
        length = len(text[start:stop].split())
        if count > 0 and words + length > budget:
            break
        count, words, end = count + 1, words + length, stop
        items += on_own_line
    return count, end
