"""Next questions to offer after an answer, built from the items it cites (pure functions).

Three kinds, taken in turn so that the offer varies: what was decided on a cited item, what the
cited meeting discussed, and which other meetings took up the same item. Only what the cited
sources state is used (item title, committee, council, meeting date); an item title that names
nothing ("Decision details", "Minutes of the last meeting") is not offered as a topic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from minutes_qa.contract import Citation, Passage
from minutes_qa.index.chunking import is_heading
from minutes_qa.text.dates import human_date

MAX_SUGGESTIONS = 3
# Longer titles read as report summaries, not topics someone would type.
_MAX_TOPIC_CHARS = 90

_REPORT_LINK = re.compile(r"\s*(?:pdf icon\s+)?PDF\s+[\d.]+\s*[KM]B\s*$", re.IGNORECASE)
_LEADING_NUMBER = re.compile(r"^\d{1,4}[A-Za-z]?\.?\s+")
# A decision page's reference after its title: "Integrated Care Partnership (ICP) (Decision: 110611)".
_DECISION_NUMBER = re.compile(r"\s*\(Decision:?\s*[\w/.-]+\)\s*$", re.IGNORECASE)
_PART_BREAK = re.compile(r",\s+|\s+[-–—]\s+|:\s+")
# ModernGov page furniture in front of an item's title.
_PAGE_PREFIX = re.compile(r"^Issue - (?:items at meetings|meetings|decisions)\s+[-–—]\s+", re.IGNORECASE)
# Titles of procedural items and page sections: nothing to ask about.
_NOT_A_TOPIC = re.compile(
    r"^(?:Meeting:|Decision details$|Decisions?$|Minutes:?$|Minutes of\b|Agenda item|"
    r"Apologies|Declarations? of interest|Urgent business|Any other business|Date of next meeting|Resolved)",
    re.IGNORECASE,
)


def next_questions(
    passages: Sequence[Passage], citations: Sequence[Citation], asked: Iterable[str], limit: int = MAX_SUGGESTIONS
) -> list[str]:
    """Up to ``limit`` questions about the cited items, never one of ``asked``, without repeats.

    Round by round, each kind (decided / meeting / other meetings) offers its next question from
    the cited passages in citation order, until ``limit`` are chosen. Only when the cited items
    give fewer than two do the other retrieved passages, in rank order, add theirs.
    """
    by_id = {passage.id: passage for passage in passages}
    cited = list({c.passage_id: by_id[c.passage_id] for c in citations if c.passage_id in by_id}.values())
    already = {_normal(question) for question in asked}
    chosen = _choose(cited, already, limit)
    if cited and len(chosen) < 2:
        others = [passage for passage in passages if passage.id not in {p.id for p in cited}]
        chosen = _choose(cited + others, already, limit)
    return chosen


def _choose(sources: Sequence[Passage], already: set[str], limit: int) -> list[str]:
    topics = list(dict.fromkeys(topic for passage in sources if (topic := passage_topic(passage))))
    kinds = [
        [f"What was decided on {topic}?" for topic in topics],
        [question for passage in sources if (question := _meeting_question(passage))],
        [f"Which other meetings discussed {topic}?" for topic in topics],
    ]
    seen = set(already)
    chosen: list[str] = []
    for round_ in range(max(len(kind) for kind in kinds)):
        for kind in kinds:
            if round_ < len(kind) and len(chosen) < limit and _normal(kind[round_]) not in seen:
                seen.add(_normal(kind[round_]))
                chosen.append(kind[round_])
    return chosen


def passage_topic(passage: Passage) -> str | None:
    """The item a passage is about: the numbered item title it opens with, as in minutes of a
    whole meeting ("89. Draft Revenue Budget 2025-26"), else its source's title."""
    first_line = passage.text.lstrip().split("\n", 1)[0].strip()
    if _LEADING_NUMBER.match(first_line) and is_heading(first_line):
        opening = item_topic(first_line)
        if opening:
            return opening
    return item_topic(passage.source.title)


def item_topic(title: str | None) -> str | None:
    """An item's title as a topic to ask about: its number, report link and page furniture
    removed; None when it names nothing or reads as a summary rather than a title."""
    if not title:
        return None
    topic = title.split(" › ", 1)[0]
    topic = _DECISION_NUMBER.sub("", _REPORT_LINK.sub("", topic))
    topic = _PAGE_PREFIX.sub("", _LEADING_NUMBER.sub("", topic))
    topic = " ".join(topic.split()).rstrip(" .:;,")
    if len(topic) > _MAX_TOPIC_CHARS:
        # "Draft Revenue Budget 2025-26, MTFP 2025-28, Draft Capital ..." is asked about by its first part.
        topic = _PART_BREAK.split(topic, 1)[0]
    if not topic or len(topic) > _MAX_TOPIC_CHARS or _NOT_A_TOPIC.match(topic):
        return None
    if len(re.findall(r"[^\W\d_]{2,}", topic)) < 2:
        return None
    return topic


def _meeting_question(passage: Passage) -> str | None:
    """'What did the Cabinet of Medway Council discuss on 5 March 2020?' when the date is known."""
    source = passage.source
    when = human_date(source.meeting_date)
    if not when:
        return None
    committee = " ".join(source.committee.split()) if source.committee else None
    council = " ".join(source.council.split()) if source.council else None
    if committee and council and committee.lower() in council.lower():
        who = council  # "County Council" of "Kent County Council" is the council itself
    elif committee and council and council.lower() not in committee.lower():
        who = f"{_with_article(committee)} of {council}"
    elif committee:
        who = _with_article(committee)
    elif council:
        who = council
    else:
        return None
    return f"What did {who} discuss on {when}?"


def _with_article(committee: str) -> str:
    return committee if committee.lower().startswith("the ") else f"the {committee}"


def _normal(question: str) -> str:
    return " ".join(re.findall(r"\w+", question.lower()))
