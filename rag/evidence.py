"""How well a piece of text covers a question's content words (pure functions)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence, Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache

from minutes_qa.contract import Passage
from minutes_qa.index.keywords import keyword_tokens
from minutes_qa.settings import AnswerSettings
from minutes_qa.text.sentences import split_sentences

from .answer_kinds import MAIN_CLAUSE, AnswerKind, Expectation, expected_answer, holds_answer
from .places import place_name
from .question_parts import question_parts

# A sentence lacking the kind of answer asked for ("how much...?" and no amount) keeps this share by default.
_WRONG_KIND_SHARE: float = AnswerSettings.model_fields["wrong_kind_share"].default

# Words that every question about minutes uses and that say nothing about the topic.
GENERIC_TERMS = frozenset(
    keyword_tokens(
        [
            "council councils committee committees board boards meeting meetings minutes say said says "
            "discuss discussed decide decided decision agree agreed member members report reported tell told "
            "mention mentioned happen happened raise raised note noted outcome outcomes ask asked "
            # Question words: bm25s's English stop-word list keeps them.
            "what which who whom whose when where why how did does do done about was were is are has have had "
            "would could should can will any there their its this that these those "
            # Fillers of spoken questions ("now", "actually"): no minutes say them of their topic.
            "might may must now once currently actually really roughly still ever yet just"
        ]
    )[0]
)


# Formal acts the minutes record in these words: a "who voted/seconded" question needs them said.
FORMAL_ACTS = frozenset(
    keyword_tokens(["vote voted votes voting second seconded propose proposed moved abstain abstained appoint appointed"])[0]
)


_ASKED_ACT = re.compile(r"\b(who|whom|which \w+)\b((?:\W+\w+){1,4})", re.I)


def asked_acts(question: str) -> set[str]:
    """The formal acts a "who" question asks the doer of: "Who seconded...", "which councillors voted..."
    (not "after the bid to move money", which only sets the scene)."""
    return {
        token for match in _ASKED_ACT.finditer(question) for token in keyword_tokens([match.group(2)])[0]
    } & FORMAL_ACTS


# "How many", "how far", "how long"...: the adjective is part of the question word, not a topic word.
_HOW_ADJECTIVE = re.compile(r"\bhow (many|much|far|long|often|big|large|high|low|soon|quickly)\b", re.I)


def content_terms(question: str, expansions: Sequence[str] = ()) -> set[str]:
    """Stemmed topic words of a question, without stop words, generic minutes vocabulary and the
    adjective of a "how many / how far..." question word."""
    question = _HOW_ADJECTIVE.sub(" ", question)
    return {token for token in keyword_tokens([question])[0] if token not in GENERIC_TERMS} | {
        token for expansion in expansions for token in keyword_tokens([expansion])[0] if token not in GENERIC_TERMS
    }


def best_sentence_support(
    question: str,
    passage_text: str,
    header: str,
    idf: Mapping[str, float],
    named_councils: frozenset[str] = frozenset(),
    wrong_kind_share: float = _WRONG_KIND_SHARE,
    aliases: Sequence[tuple[frozenset[str], frozenset[str]]] = (),
) -> float:
    """How well the passage's best sentence answers ``question`` (or one part of it), from 0 to 1.

    A sentence scores the rarity-weighted share of the question's topic words it holds, the
    passage's contextual ``header`` counted with it, since minutes rarely name their own council
    or committee. A sentence without the kind of answer the question asks for (an amount, a
    person, a date, a decision...) keeps ``wrong_kind_share`` of that, and so does one that lacks
    the formal act a "who" question asks about ("voted", "seconded"). A multi-part question is
    supported as well as its best-supported part. A sentence that writes out an acronym of the
    question ("High Needs Block" for "HNB"), or abbreviates it, holds it: ``aliases`` are the
    question's (acronym tokens, expansion tokens) pairs (see :func:`glossary_aliases`). The words
    of a leading clause ("In the amended plans lodged for the appeal, how many...?") set the scene,
    which the passage may state anywhere; the asked clause's words must be in the sentence. The names of ``named_councils`` are not topic
    words: they say where to look (see :func:`rag.places.concerns`), and being rare they would
    otherwise make any passage of that council look like an answer.

    Scoring many passages against one question, use :class:`QuestionSupport`: it reads the question once.
    """
    return QuestionSupport(question, idf, named_councils, aliases).supports(passage_text, header, wrong_kind_share)[0]


def glossary_aliases(question: str, glossary: Mapping[str, str]) -> list[tuple[frozenset[str], frozenset[str]]]:
    """The (acronym tokens, expansion tokens) pairs of ``glossary`` (acronym -> expansion) whose acronym
    or expansion the question uses."""
    asked = set(keyword_tokens([question])[0])
    return [(short, long) for short, long in _glossary_tokens(tuple(glossary.items())) if short <= asked or long <= asked]


@lru_cache(maxsize=8)
def _glossary_tokens(entries: tuple[tuple[str, str], ...]) -> tuple[tuple[frozenset[str], frozenset[str]], ...]:
    """The (acronym tokens, expansion tokens) of each glossary entry whose forms both have tokens:
    tokenised once per glossary, not once per question."""
    tokens = keyword_tokens([form for entry in entries for form in entry])
    pairs = (
        (frozenset(tokens[2 * position]), frozenset(tokens[2 * position + 1])) for position in range(len(entries))
    )
    return tuple((short, long) for short, long in pairs if short and long)


def with_aliases(tokens: set[str], aliases: Sequence[tuple[frozenset[str], frozenset[str]]]) -> set[str]:
    """``tokens`` with each alias's other form added where one form is held whole."""
    for short, long in aliases:
        if short <= tokens:
            tokens |= long
        elif long <= tokens:
            tokens |= short
    return tokens


@dataclass(frozen=True)
class _PartTerms:
    """One part of a question as sentence scoring reads it: its weighted topic words, the kind of
    answer it asks for and the formal acts a "who" part asks about."""

    terms: WeightedTerms
    expectation: Expectation | None
    acts: set[str]
    scene: frozenset[str] = frozenset()
    """The words of a leading clause that the asked clause lacks: the passage may hold them anywhere."""


class QuestionSupport:
    """:func:`best_sentence_support` for one question against many passages: the question's parts,
    topic words, expected answer and years are read once, not once per passage."""

    def __init__(
        self, question: str, idf: Mapping[str, float], named_councils: frozenset[str] = frozenset(),
        aliases: Sequence[tuple[frozenset[str], frozenset[str]]] = (),
    ) -> None:
        places = set(keyword_tokens([" ".join(map(place_name, named_councils))])[0]) if named_councils else set()
        self._years = years_named(question)
        self._aliases = tuple(aliases)
        self._parts: list[_PartTerms] = []
        for part in question_parts(question):
            terms = content_terms(part.text) - places
            if not terms:
                continue
            # "In the amended plans lodged for the appeal, how many...?": the leading clause sets the scene.
            main = MAIN_CLAUSE.search(part.text)
            scene = (
                frozenset(content_terms(part.text[: main.start()]) - places - content_terms(part.text[main.start() :]))
                if main else frozenset()
            )
            expectation = expected_answer(part.text)
            acts = asked_acts(part.text) if expectation is not None and expectation.kind is AnswerKind.PERSON else set()
            self._parts.append(_PartTerms(WeightedTerms(terms, idf), expectation, acts, scene))

    def supports(self, passage_text: str, header: str, wrong_kind_share: float = _WRONG_KIND_SHARE) -> tuple[float, float]:
        """The passage's support with ``wrong_kind_share``, and its strict support (a share of 0.0:
        only sentences that hold the kind of answer asked for count), from one pass over its sentences."""
        sentences = passage_sentences(passage_text, header)
        if not sentences:
            return 0.0, 0.0
        if self._aliases:
            sentences = tuple(
                (sentence, frozenset(with_aliases(set(tokens), self._aliases)),
                 frozenset(with_aliases(set(with_header), self._aliases)))
                for sentence, tokens, with_header in sentences
            )
        support = strict = 0.0
        # A question about 2022/23 is not answered by the minutes of another year.
        other_year = not all(year.mentioned_in(passage_text, header) for year in self._years)
        passage_tokens: frozenset[str] | None = None
        for part in self._parts:
            staged: frozenset[str] = frozenset()
            if part.scene:
                if passage_tokens is None:
                    passage_tokens = frozenset().union(*(tokens for _, tokens, _ in sentences))
                staged = part.scene & passage_tokens
            for sentence, tokens, with_header in sentences:
                if part.terms.terms.isdisjoint(with_header) and not staged:
                    continue  # a share of 0.0 raises neither support
                share = part.terms.share(with_header | staged if staged else with_header)
                if share <= strict:
                    continue  # support >= strict: neither can rise, whatever the sentence holds
                if other_year or not holds_answer(part.expectation, sentence) or (part.acts and not part.acts & tokens):
                    support = max(support, share * wrong_kind_share)
                else:
                    support = max(support, share)
                    strict = share
        return support, strict


# Passages recur from question to question (the same few thousand answer most of them); their
# sentences are split and tokenised once. Bounded: ~10 kB each.
_PASSAGES_REMEMBERED = 4096


@lru_cache(maxsize=_PASSAGES_REMEMBERED)
def passage_sentences(text: str, header: str) -> tuple[tuple[str, frozenset[str], frozenset[str]], ...]:
    """The sentences of ``text`` (see :func:`minutes_qa.text.sentences.split_sentences`), each with
    its keyword tokens, and those tokens with the ones of the passage's contextual ``header``."""
    sentences = [text[start:end] for start, end in split_sentences(text)]
    header_tokens = set(keyword_tokens([header])[0]) if header else set()
    return tuple(
        (sentence, tokens, frozenset(header_tokens | tokens))
        for sentence, tokens in zip(sentences, map(frozenset, keyword_tokens(sentences)), strict=True)
    )


_YEAR = re.compile(r"\b((?:19|20)\d{2})(?:\s?[/-]\s?((?:19|20)?\d{2}))?\b")


@dataclass(frozen=True)
class NamedYear:
    """A year a question names, as the forms minutes write it in, and the calendar years it spans."""

    forms: frozenset[str]
    calendar_years: frozenset[str]

    def mentioned_in(self, text: str, header: str) -> bool:
        """Whether a passage speaks of this year: its text or header writes it, or its header (the
        meeting date) falls in one of its calendar years."""
        return _holds_any(f"{header} {text}", self.forms) or _holds_any(header, self.calendar_years)


def years_named(question: str) -> list[NamedYear]:
    """The years a question names: "2022/23" is written "2022/23", "2022-23", "2022/2023", "22/23"...
    and spans 2022 and 2023; "2013" is "2013"."""
    named = []
    for match in _YEAR.finditer(question):
        first, second = match.group(1), match.group(2)
        if second is None:
            named.append(NamedYear(frozenset({first}), frozenset({first})))
            continue
        short = second[-2:]
        full = first[:2] + short
        forms = {f"{first}/{short}", f"{first}-{short}", f"{first}/{full}", f"{first}-{full}", f"{first[2:]}/{short}",
                 f"{first} to {full}"}
        named.append(NamedYear(frozenset(forms), frozenset({first, full})))
    return named


def names_other_years(text: str, named: Sequence[NamedYear]) -> bool:
    """Whether ``text`` names years, none of them one the question names ("In 2011 the precept
    was..." for a question about 2012/13). False when the question names no year."""
    if not named:
        return False
    # A year as minutes date a figure: "in 2011", "for 2012/13", "2019-20"; not "from 1930 to 2030" officers.
    written = {
        year for match in _YEAR.finditer(text)
        if match.group(2) is not None or _DATING.search(text[max(0, match.start() - 12) : match.start()])
        for year in _calendar_years(match)
    }
    asked = set().union(*(year.calendar_years for year in named))
    return bool(written) and not written & asked


_DATING = re.compile(r"\b(in|for|during|of)\s+$", re.I)


def _calendar_years(match: re.Match[str]) -> set[str]:
    first, second = match.group(1), match.group(2)
    return {first} if second is None else {first, first[:2] + second[-2:]}


def _holds_any(text: str, forms: frozenset[str]) -> bool:
    # White space around "/" and "-" varies in minutes ("2022 / 23").
    folded = re.sub(r"\s*([/-])\s*", r"\1", text)
    return any(form in folded for form in forms)


@dataclass(frozen=True)
class EvidenceFeatures:
    """What abstention weighs, read off the first results (see :func:`evidence_features`)."""

    cosine: float
    """Best cosine similarity to the question among the first passages that may speak for it."""
    support: float
    """Best strict support among them: a sentence that covers the question's words and holds the
    kind of answer asked for, in minutes of the year asked about."""
    asks_kind: bool
    """The question asks for an amount, a person, a date, a number or a decision."""
    named_council_first: bool
    """The first result is minutes of the council the question names (or it names none)."""
    top_score: float
    """The first result's re-ranked score (its fused score relative to the best, plus its support)."""

    def vector(self) -> dict[str, float]:
        return {
            "cosine": self.cosine,
            "support": self.support,
            "asks_kind": float(self.asks_kind),
            "named_council_first": float(self.named_council_first),
            "top_score": self.top_score,
        }


def evidence_features(
    passages: Sequence[Passage],
    strict_supports: Sequence[float],
    cosines: Sequence[float],
    speaks: Sequence[bool],
    asks_kind: bool,
) -> EvidenceFeatures:
    """The features of the first passages: each passage counts only where it ``speaks`` for the
    councils the question names (its council, or its text names them)."""
    counted = [(support, cosine) for support, cosine, ok in zip(strict_supports, cosines, speaks, strict=True) if ok]
    return EvidenceFeatures(
        cosine=max((cosine for _, cosine in counted), default=0.0),
        support=max((support for support, _ in counted), default=0.0),
        asks_kind=asks_kind,
        named_council_first=bool(speaks) and speaks[0],
        top_score=passages[0].score if passages else 0.0,
    )


def evidence_probability(features: EvidenceFeatures, weights: Mapping[str, float]) -> float:
    """The probability that the first results answer the question: a logistic model whose
    ``weights`` (one per feature, plus "intercept") are fitted on labelled questions by
    cross-validation (``minutes eval --calibrate``)."""
    logit = weights.get("intercept", 0.0) + sum(
        weights.get(name, 0.0) * value for name, value in features.vector().items()
    )
    return 1.0 / (1.0 + math.exp(-logit))


def weighted_share(terms: AbstractSet[str], tokens: AbstractSet[str], idf: Mapping[str, float]) -> float:
    """The idf-weighted share of ``terms`` found in ``tokens`` (terms the index never saw weigh the most).

    ``idf`` is any mapping; a :class:`rag.retrieval.TermWeights` brings the weight of unseen
    terms computed once per index rather than per call. Weighing one set of terms against many
    texts, use :class:`WeightedTerms`.
    """
    return WeightedTerms(terms, idf).share(tokens)


class WeightedTerms:
    """Terms with their idf weights, weighed once to find their share (:func:`weighted_share`) in many texts."""

    def __init__(self, terms: AbstractSet[str], idf: Mapping[str, float]) -> None:
        unseen = getattr(idf, "unseen", None)
        if unseen is None:
            unseen = max(idf.values(), default=1.0)
        self.terms = terms
        self._weights = {term: idf.get(term, unseen) for term in terms}
        self._total = sum(self._weights.values())

    def share(self, tokens: AbstractSet[str]) -> float:
        """The weighted share of the terms found in ``tokens``; 0.0 when there are no terms."""
        if not self.terms:
            return 0.0
        return sum(self._weights[term] for term in self.terms & tokens) / self._total


def coverage(terms: set[str], text: str, original_terms: set[str] | None = None) -> float:
    """Share of the question's own topic words that ``text`` contains (expansions count as hits)."""
    basis = original_terms if original_terms is not None else terms
    if not basis:
        return 0.0
    found = set(keyword_tokens([text])[0]) & terms
    return min(1.0, len(found) / len(basis))
