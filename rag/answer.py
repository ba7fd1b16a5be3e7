"""Composing a short extractive answer from retrieved passages, every sentence cited.

Pure logic: it receives passages, their contextual headers, the index's idf statistics and a
function that scores sentences against the question, and returns the answer text with [n]
markers, the citations (each quote an exact substring of its passage) and, where the question
asks for a person, an amount, a date, a number or a yes/no, the direct answer that opens it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from minutes_qa.contract import Citation, DirectAnswer, Passage
from minutes_qa.index.keywords import keyword_tokens
from minutes_qa.settings import AnswerSettings
from minutes_qa.text.dates import human_date
from minutes_qa.text.labels import meeting_label
from minutes_qa.text.markers import BRACKETED, BULLET, NUMBER, SECTION_NUMBER

from .answer_kinds import AnswerKind, Expectation, expected_answer, holds_answer
from .direct import direct_answer_in
from .evidence import GENERIC_TERMS, WeightedTerms, content_terms, names_other_years, weighted_share, years_named
from .places import concerns, place_name
from .question_parts import question_parts
from .units import Unit, answer_units

# Collection rather than Sequence: the engine's scorers return numpy arrays, one score per span.
SpanScorer = Callable[[Sequence[tuple[Passage, int, int]]], Collection[float]]
"""Scores spans ``(passage, start, end)`` of passage texts against the question (cosine similarity)."""

# A list marker before a sentence ("·", "(b)", "2.", "10.1"), dropped when the sentence is shown.
# Narrower than the answer units' reading of a list line: what is dropped must be a marker, never
# words, so a bare number ("79 children") and "b." (an initial, "J. Smith") stay.
_LEADING_MARKER = re.compile(rf"^(?:{BULLET}|{BRACKETED}\)|{SECTION_NUMBER}\.?|{NUMBER}\.)\s+")
MISSING_PART_PREFIX = "The minutes I have don't say"

# Sentences that describe the meeting's business rather than state anything: item purposes,
# "the committee considered a report", "X presented the report", webcast and meeting lines.
_META = re.compile(
    r"^\W*(\d+(\.\d+)*\.?\s+)?(to (consider|receive|note|update|approve|recommend|agree|seek|inform|provide|present|"
    r"report|discuss)\b|purpose\b|(the )?(committee|board|panel|forum|cabinet|council|executive|sub-committee|"
    r"commission|members?|lead member) (considered|received|noted the report|was presented|were presented|had before it|"
    r"was asked to consider)\b|this report\b|the report (provides|presents|sets out|outlines|gives)\b|meeting of\b|"
    r"webcast\b|decision status\b|\d{2}/\d{2}/\d{4}\s*-)|\b(presented|introduced|outlined|provided|gave) (the|a|an|his|"
    r"her|their) (\w+ )?(report|update|overview|presentation|briefing)\b|\bconsidered (a|the) report\b",
    re.I,
)
# "What are councils doing...?", "Which authorities...": the answer spans meetings by design.
_ACROSS_COUNCILS = re.compile(r"\b(councils|authorities|boroughs|districts|areas|each|both|compare|compared)\b", re.I)
_FIGURES = frozenset({AnswerKind.MONEY, AnswerKind.PERCENT, AnswerKind.NUMBER})
# Novel topic words that make a sentence fully informative: it says something beyond the question.
_INFORMATIVE_WORDS = 10
_SHORTLIST = 24
# A unit already quoted answers a part when it covers the part's words within this of the best.
_PART_TOLERANCE = 0.1


@dataclass(frozen=True)
class ComposedAnswer:
    answer: str
    citations: list[Citation]
    direct_answer: DirectAnswer | None = None
    missing_parts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Candidate:
    passage: Passage
    unit: Unit
    score: float
    coverage: float
    tokens: frozenset[str]

    @property
    def quote(self) -> str:
        return self.passage.text[self.unit.start : self.unit.end]

    @property
    def where(self) -> tuple[str, int]:
        return (self.passage.source.doc_id, self.passage.source.start + self.unit.start)


@dataclass(frozen=True)
class _Question:
    """What scoring needs to know of a question or one part of it."""

    text: str
    terms: frozenset[str]
    expectation: Expectation | None


def compose_answer(
    question: str,
    expansions: Sequence[str],
    passages: Sequence[Passage],
    similarity: SpanScorer,
    max_words: int,
    headers: Mapping[str, str] | None = None,
    idf: Mapping[str, float] | None = None,
    named_councils: frozenset[str] = frozenset(),
    weights: AnswerSettings | None = None,
    naming_documents: frozenset[str] = frozenset(),
) -> ComposedAnswer:
    """Pick the units of the passages that best answer ``question`` and join them, cited.

    Units (sentences, or a lead-in with its list) come from the top passages of the councils the
    question names. Each is scored by its similarity to the question, the rarity-weighted share of
    the question's topic words it holds (its passage's header counted with it), how much it says
    beyond the question, and whether it holds the kind of answer asked for; sentences that only
    describe the meeting's business lose. The best unit of the whole question and of each of its
    parts (and of each council it compares) is kept, then others close to the best, without
    repeating, within ``max_words``. Units are grouped by meeting, newest first.
    ``naming_documents`` are the documents of unknown council whose text names one of the
    ``named_councils`` somewhere: their passages speak for it even where the passage itself does not.
    """
    weights = weights or AnswerSettings()
    headers = headers or {}
    idf = idf or {}
    place_terms = frozenset(keyword_tokens([" ".join(map(place_name, named_councils))])[0]) if named_councils else frozenset()
    relevant = [p for p in passages if _about(named_councils, p, naming_documents)] or [
        p for p in passages if concerns(named_councils, p.source.council, p.text)
    ]
    relevant = relevant[: weights.answer_max_passages]
    whole = _question(question, expansions, place_terms)
    candidates = _candidates(whole, relevant, similarity, headers, idf, max_words, weights)
    if not candidates:
        return ComposedAnswer("", [])
    parts = [_question(part.text, expansions, place_terms) for part in question_parts(question)]
    chosen, missing = _choose(whole, parts, candidates, named_councils, headers, idf, max_words, weights)
    return _render(whole, chosen, missing)


def _about(named_councils: frozenset[str], passage: Passage, naming_documents: frozenset[str] = frozenset()) -> bool:
    """Whether an answer about ``named_councils`` may quote ``passage``: its council is one of them,
    or its text names one. Minutes of an unknown council are quoted when the passage or its document
    names one (``naming_documents``); those that never name it are used only when nothing better is
    retrieved."""
    if not named_councils:
        return True
    if passage.source.council is None:
        return passage.source.doc_id in naming_documents or concerns(named_councils, "", passage.text)
    return concerns(named_councils, passage.source.council, passage.text)


def _question(text: str, expansions: Sequence[str], place_terms: frozenset[str]) -> _Question:
    return _Question(text, frozenset(content_terms(text, expansions)) - place_terms, expected_answer(text))


def _candidates(
    question: _Question,
    passages: Sequence[Passage],
    similarity: SpanScorer,
    headers: Mapping[str, str],
    idf: Mapping[str, float],
    max_words: int,
    weights: AnswerSettings,
) -> list[_Candidate]:
    units: list[tuple[Passage, _UnitText]] = []
    seen: set[tuple[str, int]] = set()
    for passage in passages:
        for unit in passage_units(passage.text, headers.get(passage.id, ""), max_words):
            # Overlapping passages share sentences; each is offered once.
            where = (passage.source.doc_id, passage.source.start + unit.unit.start)
            if where not in seen:
                seen.add(where)
                units.append((passage, unit))
    if not units:
        return []
    terms = WeightedTerms(question.terms, idf)
    coverages = [terms.share(unit.with_header) for _, unit in units]
    priors = [0.1 / passage.rank for passage, _ in units]
    # Embedding sentences is the costly step: only the lexically most promising are compared.
    shortlist = sorted(range(len(units)), key=lambda i: -(coverages[i] + priors[i]))[:_SHORTLIST]
    similarities = similarity([(units[i][0], units[i][1].unit.start, units[i][1].unit.end) for i in shortlist])
    candidates = []
    # A figure of another year than the one asked about ("In 2011 the precept was...") is no answer.
    figure = question.expectation is not None and question.expectation.kind in _FIGURES
    asked_years = years_named(question.text) if figure else []
    for i, cosine in zip(shortlist, similarities, strict=True):
        passage, unit = units[i]
        novel = unit.novel - question.terms
        information = min(1.0, len(novel) / _INFORMATIVE_WORDS)
        score = (
            weights.unit_similarity * float(cosine) + weights.unit_coverage * coverages[i] + weights.unit_information * information
        ) + priors[i]
        if not holds_answer(question.expectation, unit.text) or names_other_years(unit.text, asked_years):
            score *= weights.wrong_kind_factor
        if unit.meta:
            score *= weights.meta_factor
        candidates.append(_Candidate(passage, unit.unit, score, coverages[i], unit.tokens))
    return sorted(candidates, key=lambda c: -c.score)


@dataclass(frozen=True)
class _UnitText:
    """An answer unit of a passage as scoring reads it, whatever the question."""

    unit: Unit
    text: str
    tokens: frozenset[str]
    with_header: frozenset[str]
    """Its tokens and its passage's header's, counted together for coverage."""
    novel: frozenset[str]
    """Its tokens that are neither the header's nor generic minutes words."""
    meta: bool
    """It describes the meeting's business rather than states anything."""


# Passages recur from question to question; their units are read once (see rag.evidence.passage_sentences).
_PASSAGES_REMEMBERED = 4096


@lru_cache(maxsize=_PASSAGES_REMEMBERED)
def passage_units(text: str, header: str, max_words: int) -> tuple[_UnitText, ...]:
    """The answer units of a passage's ``text`` (see :func:`rag.units.answer_units`), read for scoring."""
    units = answer_units(text, max_words)
    texts = [text[unit.start : unit.end] for unit in units]
    header_tokens = frozenset(keyword_tokens([header])[0])
    return tuple(
        _UnitText(unit, unit_text, tokens, tokens | header_tokens, tokens - header_tokens - GENERIC_TERMS,
                  bool(_META.search(unit_text)))
        for unit, unit_text, tokens in zip(units, texts, (frozenset(t) for t in keyword_tokens(texts)), strict=True)
    )


def _choose(
    whole: _Question,
    parts: Sequence[_Question],
    candidates: list[_Candidate],
    named_councils: frozenset[str],
    headers: Mapping[str, str],
    idf: Mapping[str, float],
    max_words: int,
    weights: AnswerSettings,
) -> tuple[list[_Candidate], list[str]]:
    """The units to quote, and the parts of the question none of them answers."""
    chosen: list[_Candidate] = [candidates[0]]
    missing: list[str] = []
    # Every part of a multi-part question, and every council a comparison names, gets its own best unit.
    words = len(candidates[0].quote.split())

    def add(candidate: _Candidate) -> None:
        nonlocal words
        length = len(candidate.quote.split())
        if candidate not in chosen and words + length <= max_words:
            chosen.append(candidate)
            words += length

    if len(parts) > 1:
        for part in parts:
            best = _best_for_part(part, candidates, headers, idf, preferred=chosen)
            if best is None:
                missing.append(part.text)
            else:
                add(best)
    if len(named_councils) > 1:
        for council in sorted(named_councils):
            own = [c for c in candidates if concerns(frozenset({council}), c.passage.source.council, c.passage.text)]
            if own:
                add(own[0])
    best_score = candidates[0].score
    for candidate in candidates[1:]:
        if len(chosen) >= weights.answer_max_units:
            break
        length = len(candidate.quote.split())
        # Another passage's sentence must be nearly as good as the best to join it: a whole meeting's
        # minutes (a PDF) hold many items, and only the best passage's own sentences join freely.
        same_passage = candidate.passage.id == candidates[0].passage.id
        ratio = weights.keep_ratio if same_passage or _ACROSS_COUNCILS.search(whole.text) else weights.other_passage_ratio
        if candidate in chosen or candidate.score < ratio * best_score or words + length > max_words:
            continue
        if any(_overlap(candidate.tokens, other.tokens) > weights.redundancy for other in chosen):
            continue
        add(candidate)
    return chosen, missing


def _best_for_part(
    part: _Question,
    candidates: list[_Candidate],
    headers: Mapping[str, str],
    idf: Mapping[str, float],
    preferred: Sequence[_Candidate],
) -> _Candidate | None:
    """The candidate that best covers ``part`` and holds the kind of answer it asks for, if any;
    one already ``preferred`` wins when it covers the part nearly as well."""
    shares: dict[int, float] = {}
    for position, candidate in enumerate(candidates):
        if holds_answer(part.expectation, candidate.quote):
            header = frozenset(keyword_tokens([headers.get(candidate.passage.id, "")])[0])
            shares[position] = weighted_share(part.terms, candidate.tokens | header, idf) if part.terms else candidate.coverage
    if not shares or max(shares.values()) <= 0:
        return None
    top = max(shares.values())
    for position, share in shares.items():
        if candidates[position] in preferred and share >= top - _PART_TOLERANCE:
            return candidates[position]
    return candidates[max(shares, key=lambda position: (shares[position], -position))]


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / max(1, min(len(a), len(b)))


def _render(question: _Question, chosen: list[_Candidate], missing: list[str]) -> ComposedAnswer:
    groups: dict[str, list[_Candidate]] = {}
    for candidate in chosen:
        groups.setdefault(candidate.passage.source.doc_id, []).append(candidate)
    citations: list[Citation] = []
    number_of: dict[tuple[str, int], int] = {}
    paragraphs: list[str] = []
    for group in sorted(groups.values(), key=_group_order):
        group.sort(key=lambda c: c.where[1])
        sentences = []
        for candidate in group:
            number = len(citations) + 1
            number_of[candidate.where] = number
            citations.append(Citation(n=number, passage_id=candidate.passage.id, quote=candidate.quote))
            sentences.append(f"{display(candidate.quote)} [{number}]")
        source = group[0].passage.source
        label = meeting_label(
            committee=source.committee, title=source.title, meeting_date=source.meeting_date, council=source.council
        )
        paragraphs.append((f"{label}: " if label else "") + " ".join(sentences))
    direct = _direct(question, chosen, number_of)
    if direct is not None:
        paragraphs.insert(0, f"{' '.join(direct.text.split())} [{direct.citation}]")
    paragraphs += [f"{MISSING_PART_PREFIX}: {part.rstrip(' ?')}?" for part in missing]
    return ComposedAnswer("\n\n".join(paragraphs), citations, direct, missing)


def _direct(
    question: _Question, chosen: list[_Candidate], number_of: Mapping[tuple[str, int], int]
) -> DirectAnswer | None:
    """The words that answer the question, from the best chosen unit that holds them."""
    expectation = question.expectation
    if expectation is None:
        return None
    # The unit that best covers the question's words holds its answer more often than the one most like it.
    for candidate in sorted(chosen, key=lambda c: (-c.coverage, -c.score)):
        if not holds_answer(expectation, candidate.quote):
            continue
        text = direct_answer_in(question.text, expectation, candidate.quote)
        if text:
            return DirectAnswer(text=text, citation=number_of[candidate.where])
    if expectation.kind is AnswerKind.DATE:
        # Nothing dated in the minutes' words: a decision recorded at a meeting was taken on its date.
        decided = next((c for c in chosen if holds_answer(Expectation(AnswerKind.OUTCOME), c.quote)), None)
        if decided is not None and decided.passage.source.meeting_date:
            committee = decided.passage.source.committee
            when = human_date(decided.passage.source.meeting_date)
            text = f"At the {committee} meeting of {when}" if committee else f"At the meeting of {when}"
            return DirectAnswer(text=text, citation=number_of[decided.where])
    return None


def _group_order(group: list[_Candidate]) -> tuple:
    # Newest meeting first where dates are known; undated meetings after, best evidence first.
    meeting_date = group[0].passage.source.meeting_date
    return (meeting_date is None, _negated(meeting_date or ""), -max(c.score for c in group))


def _negated(iso_date: str) -> tuple[int, ...]:
    return tuple(-int(part) for part in re.findall(r"\d+", iso_date))


def display(quote: str) -> str:
    """The sentence as it reads in the answer: list marker dropped, white space folded."""
    text = " ".join(quote.split())
    text = _LEADING_MARKER.sub("", text)
    if text and text[-1].isalnum():
        text += "."
    return text[:1].upper() + text[1:]
