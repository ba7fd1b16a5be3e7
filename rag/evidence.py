"""How well a piece of text covers a question's content words (pure functions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set as AbstractSet

from index.keywords import keyword_tokens
from index.sentences import split_sentences

from .answer_kinds import expected_answer, holds_answer
from .contract import Passage
from .places import concerns, place_name

# A sentence lacking the kind of answer asked for ("how much...?" and no amount) keeps this share.
_WRONG_KIND_SHARE = 0.25

# Words that every question about minutes uses and that say nothing about the topic.
GENERIC_TERMS = frozenset(
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
    return {token for token in keyword_tokens([question])[0] if token not in GENERIC_TERMS} | {
        token for expansion in expansions for token in keyword_tokens([expansion])[0] if token not in GENERIC_TERMS
    }


def best_sentence_support(
    question: str, passage_text: str, header: str, idf: dict[str, float], named_councils: frozenset[str] = frozenset()
) -> float:
    """How well the passage's best sentence answers ``question``, from 0 to 1.

    A sentence scores the rarity-weighted share of the question's topic words it holds, the
    passage's contextual ``header`` counted with it, since minutes rarely name their own council
    or committee. A sentence without the kind of answer the question asks for (an amount, a
    person...) keeps a quarter of that. The names of ``named_councils`` are not topic words:
    they say where to look (see :func:`rag.places.concerns`), and being rare they would
    otherwise make any passage of that council look like an answer.
    """
    terms = content_terms(question) - set(keyword_tokens([" ".join(map(place_name, named_councils))])[0])
    spans = split_sentences(passage_text)
    if not terms or not spans:
        return 0.0
    expectation = expected_answer(question)
    sentences = [passage_text[start:end] for start, end in spans]
    header_tokens = set(keyword_tokens([header])[0]) if header else set()
    support = 0.0
    for sentence, tokens in zip(sentences, keyword_tokens(sentences), strict=True):
        share = weighted_share(terms, header_tokens | set(tokens), idf)
        if not holds_answer(expectation, sentence):
            share *= _WRONG_KIND_SHARE
        support = max(support, share)
    return support


def evidence_score(
    passages: Sequence[Passage],
    supports: Sequence[float],
    cosines: Sequence[float],
    named_councils: frozenset[str] = frozenset(),
) -> float:
    """How strongly the best passages support an answer, from 0 to about 1.

    Each passage scores half its cosine similarity to the question and half its best
    sentence's support (:func:`best_sentence_support`). Passages of another council than the
    ones the question names do not count, unless their text names one of them too.
    """
    best = 0.0
    for passage, support, cosine in zip(passages, supports, cosines, strict=True):
        if concerns(named_councils, passage.source.council, passage.text):
            best = max(best, 0.5 * cosine + 0.5 * support)
    return best


def weighted_share(terms: AbstractSet[str], tokens: AbstractSet[str], idf: Mapping[str, float]) -> float:
    """The idf-weighted share of ``terms`` found in ``tokens`` (terms the index never saw weigh the most)."""
    if not terms:
        return 0.0
    default = max(idf.values(), default=1.0)
    weights = {term: idf.get(term, default) for term in terms}
    return sum(weights[term] for term in terms & tokens) / sum(weights.values())


def coverage(terms: set[str], text: str, original_terms: set[str] | None = None) -> float:
    """Share of the question's own topic words that ``text`` contains (expansions count as hits)."""
    basis = original_terms if original_terms is not None else terms
    if not basis:
        return 0.0
    found = set(keyword_tokens([text])[0]) & terms
    return min(1.0, len(found) / len(basis))
