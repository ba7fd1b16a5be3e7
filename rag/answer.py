"""Composing a short extractive answer from retrieved passages, every sentence cited.

Pure logic: it receives passages and a function that scores sentences against the question,
and returns the answer text with [n] markers and the citations, each quote an exact
substring of its passage.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.chunking import human_date, is_heading, split_sentences_by_line
from index.sentences import split_sentences

from .answer_kinds import expected_answer, holds_answer
from .contract import Citation, Passage
from .evidence import content_terms, coverage
from .places import concerns

SentenceScorer = Callable[[Sequence[str]], Sequence[float]]

_MAX_SENTENCES = 4
_MIN_WORDS = 5
_MAX_EMBEDDED_SENTENCES = 24
# A sentence without the kind of answer asked for ("how much?" and no amount) rarely answers.
_WRONG_KIND_FACTOR = 0.8
_LEADING_MARKER = re.compile(r"^([·•▪●◦‣∙\-*–]|\(?[a-z0-9ivx]{1,4}\)|\d{1,2}\.)\s+")
ABSTAIN_MESSAGE = "The minutes I have don't cover this."


@dataclass(frozen=True)
class ComposedAnswer:
    answer: str
    citations: list[Citation]


@dataclass(frozen=True)
class _Candidate:
    passage: Passage
    start: int
    end: int
    score: float

    @property
    def quote(self) -> str:
        return self.passage.text[self.start : self.end]


def compose_answer(
    question: str,
    expansions: Sequence[str],
    passages: Sequence[Passage],
    similarity: SentenceScorer,
    max_words: int,
    max_passages: int = 3,
    named_councils: frozenset[str] = frozenset(),
) -> ComposedAnswer:
    """Pick the passages' sentences that best answer ``question`` and join them, cited.

    Sentences come from the top ``max_passages`` passages; each is scored by its similarity
    to the question, the share of the question's topic words it contains, and its passage's
    rank; one without the kind of thing the question asks for (an amount, a person) loses some.
    Passages of councils other than those the question names are not used. The best is always
    kept; others must score close to it. Sentences are grouped by meeting (newest first), in
    document order within a meeting.
    """
    relevant = [p for p in passages if concerns(named_councils, p.source.council, p.text)]
    candidates = _candidates(question, expansions, relevant[:max_passages], similarity)
    chosen = _choose(candidates, max_words)
    if not chosen:
        return ComposedAnswer("", [])
    return _render(chosen)


def _candidates(
    question: str, expansions: Sequence[str], passages: Sequence[Passage], similarity: SentenceScorer
) -> list[_Candidate]:
    spans = []
    seen: set[tuple[str, int, int]] = set()
    for passage in passages:
        lines = set(split_sentences_by_line(passage.text))
        for start, end in split_sentences(passage.text):
            if (start, end) in lines and is_heading(passage.text[start:end]):
                continue
            # Overlapping passages share sentences; each is offered once.
            where = (passage.source.doc_id, passage.source.start + start, passage.source.start + end)
            if len(passage.text[start:end].split()) >= _MIN_WORDS and where not in seen:
                seen.add(where)
                spans.append((passage, start, end))
    if not spans:
        return []
    original = content_terms(question)
    terms = content_terms(question, expansions)
    lexical = [coverage(terms, passage.text[start:end], original) for passage, start, end in spans]
    prior = [0.1 / passage.rank for passage, _, _ in spans]
    # Embedding sentences is the costly step: only the lexically most promising are compared.
    shortlist = sorted(range(len(spans)), key=lambda i: -(lexical[i] + prior[i]))[:_MAX_EMBEDDED_SENTENCES]
    similarities = similarity([spans[i][0].text[spans[i][1] : spans[i][2]] for i in shortlist])
    expectation = expected_answer(question)
    candidates = []
    for i, cosine in zip(shortlist, similarities):
        passage, start, end = spans[i]
        score = 0.6 * float(cosine) + 0.4 * lexical[i] + prior[i]
        if not holds_answer(expectation, passage.text[start:end]):
            score *= _WRONG_KIND_FACTOR
        candidates.append(_Candidate(passage, start, end, score))
    return candidates


def _choose(candidates: list[_Candidate], max_words: int) -> list[_Candidate]:
    ordered = sorted(candidates, key=lambda c: -c.score)
    if not ordered:
        return []
    best = ordered[0].score
    chosen: list[_Candidate] = []
    words = 0
    for candidate in ordered:
        length = len(candidate.quote.split())
        if chosen and (candidate.score < 0.85 * best or words + length > max_words):
            continue
        chosen.append(candidate)
        words += length
        if len(chosen) == _MAX_SENTENCES:
            break
    return chosen


def _render(chosen: list[_Candidate]) -> ComposedAnswer:
    groups: dict[str, list[_Candidate]] = {}
    for candidate in chosen:
        groups.setdefault(candidate.passage.source.doc_id, []).append(candidate)
    ordered_groups = sorted(groups.values(), key=_group_order)
    citations: list[Citation] = []
    paragraphs: list[str] = []
    for group in ordered_groups:
        group.sort(key=lambda c: (c.passage.source.start + c.start))
        sentences = []
        for candidate in group:
            number = len(citations) + 1
            citations.append(Citation(n=number, passage_id=candidate.passage.id, quote=candidate.quote))
            sentences.append(f"{_display(candidate.quote)} [{number}]")
        label = meeting_label(group[0].passage)
        paragraphs.append((f"{label}: " if label else "") + " ".join(sentences))
    return ComposedAnswer("\n\n".join(paragraphs), citations)


def _group_order(group: list[_Candidate]) -> tuple:
    # Newest meeting first where dates are known; undated meetings after, best evidence first.
    meeting_date = group[0].passage.source.meeting_date
    return (meeting_date is None, _negated(meeting_date or ""), -max(c.score for c in group))


def _negated(iso_date: str) -> tuple[int, ...]:
    return tuple(-int(part) for part in re.findall(r"\d+", iso_date))


def meeting_label(passage: Passage) -> str:
    """'Health and Wellbeing Board, 13 February 2018 (Herefordshire Council)' from what the source knows."""
    source = passage.source
    name = source.committee or source.title
    when = human_date(source.meeting_date)
    label = ", ".join(part for part in (name, when) if part)
    if source.council and source.council not in label:
        label = f"{label} ({source.council})" if label else source.council
    return label


def _display(quote: str) -> str:
    """The sentence as it reads in the answer: list marker dropped, white space folded."""
    text = " ".join(quote.split())
    text = _LEADING_MARKER.sub("", text)
    if text and text[-1].isalnum():
        text += "."
    return text[:1].upper() + text[1:]
