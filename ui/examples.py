"""Example questions made from what the service has loaded, so a first-time member knows what to ask.

They are built from the documents' committees and item titles (and, failing those, the committees
in the facets), never written for one corpus.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from minutes_qa.contract import DocumentSummary, Facets

MAX_EXAMPLES = 4
_MAX_TOPIC_WORDS = 9
# Words a shortened title should not end on: "… sustainability and" reads as cut off.
_TRAILING_WORDS = {"a", "an", "and", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"}
# Item titles often carry a subtitle after a dash or colon; the part before it names the topic.
_SUBTITLE = re.compile(r"\s+[–—-]\s+|:\s+")


def example_questions(facets: Facets, documents: Sequence[DocumentSummary], limit: int = MAX_EXAMPLES) -> list[str]:
    """Up to ``limit`` questions about the loaded minutes: newest meetings first, committees varied."""
    ranked = sorted(
        (doc for doc in documents if doc.title and _topic(doc.title)),
        # Committee known first (the question can name it), then newest, then shorter titles.
        key=lambda doc: (doc.committee is None, _negated_date(doc.meeting_date), len(doc.title or "")),
    )
    questions: list[str] = []
    committees_used: set[str | None] = set()
    # Two passes: first one question per committee, then fill up with the rest.
    for first_pass in (True, False):
        for doc in ranked:
            if first_pass and doc.committee in committees_used:
                continue
            question = _question(doc)
            if question not in questions and len(questions) < limit:
                questions.append(question)
                committees_used.add(doc.committee)
    for committee in facets.committees:
        question = f"What did the {committee} decide?"
        if committee not in committees_used and question not in questions and len(questions) < limit:
            questions.append(question)
    return questions


def _question(doc: DocumentSummary) -> str:
    topic = _topic(doc.title or "")
    if doc.committee:
        return f"What did the {doc.committee} say about {topic}?"
    return f"What was said about {topic}?"


def _topic(title: str) -> str:
    """A title as it reads inside a question: subtitle dropped, shortened, case adjusted."""
    words = _SUBTITLE.split(title.strip(), maxsplit=1)[0].split()[:_MAX_TOPIC_WORDS]
    while words and words[-1].lower() in _TRAILING_WORDS:
        words.pop()
    words = [word.rstrip(".,;:") for word in words]
    if not words:
        return ""
    significant = [word for word in words if len(word) > 3]
    if all(word[:1].isupper() for word in significant):
        # A title in Title Case names an item: "the Partnership Board Update".
        return "the " + " ".join(words) if words[0].lower() != "the" else " ".join(words)
    if words[0][1:].islower() and not any(word[:1].isupper() for word in words[1:]):
        # Sentence case with no proper nouns after the first word: "improving health and wellbeing".
        words[0] = words[0].lower()
    return " ".join(words)


def _negated_date(iso_date: str | None) -> tuple[int, ...]:
    # Sort key for "newest first" that leaves undated documents last.
    if not iso_date:
        return (1,)
    return (0, *(-int(part) for part in re.findall(r"\d+", iso_date)))
