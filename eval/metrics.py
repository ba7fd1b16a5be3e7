"""Retrieval and answer metrics over one configuration's answers to a question set.

Everything here is pure: inputs are the questions, their located gold spans and the
``AskResponse`` each configuration gave; nothing reads files or calls a model.

Standard IR metrics (hit rate, MRR, nDCG) come from ranx. How a ranked list of
passages is turned into ranx judgements is the one decision made here, see
:func:`judgements`.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np

from minutes_qa.contract import AskResponse

from .questions import Question
from .relevance import GoldSpan, covered_gold

HIT_CUTOFFS: tuple[int, ...] = (1, 3, 5, 10)
RANX_METRICS: tuple[str, ...] = tuple(f"hit_rate@{cutoff}" for cutoff in HIT_CUTOFFS) + ("mrr@10", "ndcg@10")
# Our names for the ranx metrics, shorter and matching the report's columns.
RANX_NAMES: dict[str, str] = {f"hit_rate@{cutoff}": f"hit@{cutoff}" for cutoff in HIT_CUTOFFS} | {
    "mrr@10": "mrr@10",
    "ndcg@10": "ndcg@10",
}
RETRIEVAL_KEYS: tuple[str, ...] = ("hit@1", "hit@3", "hit@5", "hit@10", "recall@k", "mrr@10", "ndcg@10")
ANSWER_KEYS: tuple[str, ...] = (
    "citation_precision",
    "good_citation_rate",
    "keyword_recall",
    "direct_answer_rate",
    "direct_answer_keyword_rate",
    "answered_rate",
    "abstention_rate",
)
LATENCY_KEYS: tuple[str, ...] = ("latency_p50_ms", "latency_p95_ms")
SUMMARY_KEYS: tuple[str, ...] = RETRIEVAL_KEYS + ANSWER_KEYS + LATENCY_KEYS
# Types whose answer is a few words (a person, a date, an amount, a name, yes or no): the
# read path should state those words first, as the response's direct answer.
DIRECT_ANSWER_TYPES: frozenset[str] = frozenset({"factoid", "who", "when", "how-much", "how-many", "which", "yes-no"})
# The figures reported for follow-up turns, with and without the conversation's history.
FOLLOWUP_KEYS: tuple[str, ...] = ("hit@5", "citation_precision", "keyword_recall")


@dataclass(frozen=True)
class QuestionResult:
    """What one configuration returned for one question, with the question's gold spans."""

    question: Question
    spans: tuple[GoldSpan, ...]
    response: AskResponse
    latency_ms: float


@dataclass(frozen=True)
class QuestionScores:
    """Every per-question figure; retrieval figures are empty for unanswerable questions."""

    question_id: str
    type: str
    answerable: bool
    passage_gold: tuple[tuple[int, ...], ...]  # per ranked passage: the gold quote numbers it overlaps
    first_relevant_rank: int | None
    retrieval: dict[str, float]
    citation_good: tuple[bool, ...]
    citation_precision: float | None
    has_good_citation: bool
    keyword_recall: float | None
    keywords_missing: tuple[str, ...]
    direct_answer_given: bool | None  # None unless an answerable question of a DIRECT_ANSWER_TYPES type
    direct_answer_has_keyword: bool | None  # None unless a direct answer was given and keywords are listed
    abstained: bool
    latency_ms: float


@dataclass(frozen=True)
class ConfigScores:
    """All questions' scores under one configuration, with the overall and per-type summaries."""

    questions: list[QuestionScores]
    overall: dict[str, float | None]
    by_type: dict[str, dict[str, float | None]] = field(default_factory=dict)


def judgements(result: QuestionResult) -> tuple[dict[str, int], dict[str, float]]:
    """The ranx qrels and run of one answerable question, as plain dicts.

    Relevance is judged per passage by span overlap, with gain = the number of gold
    quotes a passage covers that no higher-ranked passage already covered. Gold quotes
    that no retrieved passage covers enter the qrels as placeholder documents of gain 1,
    so the ideal ranking behind nDCG always holds all the evidence: a run that finds one
    of three gold quotes cannot score a perfect nDCG, and a passage holding two gold
    quotes is worth two. (Judging against retrieved passages only would make the ideal
    depend on what the run happened to find.) Hit rate and MRR only look at the first
    relevant passage, so for them this is plain "overlaps any gold span".

    Doc ids are ``"<position>:<passage id>"`` so they are unique even if a backend
    repeats a passage; run scores follow the returned order, not the backend's scores.
    """
    passages = result.response.passages
    qrels: dict[str, int] = {}
    run: dict[str, float] = {}
    covered: set[int] = set()
    for position, passage in enumerate(passages, start=1):
        doc_id = f"{position}:{passage.id}"
        run[doc_id] = float(len(passages) - position + 1)
        new = covered_gold(passage.source.file, passage.source.start, passage.source.end, result.spans) - covered
        if new:
            qrels[doc_id] = len(new)
            covered |= new
    for gold_index in range(len(result.question.gold)):
        if gold_index not in covered:
            qrels[f"missing:{gold_index}"] = 1
    return qrels, run


def ranx_scores(results: Sequence[QuestionResult]) -> dict[str, dict[str, float]]:
    """Hit@1/3/5/10, MRR@10 and nDCG@10 per question id, computed by ranx.

    Answerable questions only. ranx rejects a query with an empty run, and a question
    for which nothing was retrieved scores 0 on every one of these metrics, so such
    questions are scored 0 here rather than passed to ranx.
    """
    from ranx import Qrels, Run, evaluate  # slow to import (numba); only needed here

    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    scores: dict[str, dict[str, float]] = {}
    for result in results:
        if not result.question.answerable:
            continue
        question_qrels, question_run = judgements(result)
        if question_run:
            qrels[result.question.id] = question_qrels
            run[result.question.id] = question_run
        else:
            scores[result.question.id] = {name: 0.0 for name in RANX_NAMES.values()}
    if run:
        ranx_run = Run(run)
        with warnings.catch_warnings():
            # numba warns about an internal uint64 -> int64 cast it does on every call.
            warnings.simplefilter("ignore")
            evaluate(Qrels(qrels), ranx_run, list(RANX_METRICS), return_mean=False)
        for question_id in run:
            scores[question_id] = {
                RANX_NAMES[metric]: float(ranx_run.scores[metric][question_id]) for metric in RANX_METRICS
            }
    return scores


def evidence_recall(result: QuestionResult, k: int) -> float:
    """Share of the question's gold quotes overlapped by at least one of the top ``k`` passages.

    Not a standard IR formula (one passage may hold several quotes, one quote may span
    several passages), so it is computed here rather than by ranx.
    """
    covered: set[int] = set()
    for passage in result.response.passages[:k]:
        covered |= covered_gold(passage.source.file, passage.source.start, passage.source.end, result.spans)
    return len(covered) / len(result.question.gold)


def citation_judgements(result: QuestionResult) -> tuple[bool, ...]:
    """For each citation of the answer: does the passage it cites overlap a gold span?

    A citation naming a passage that is not among the response's passages counts as
    not good: the reader could not check it.
    """
    passages = {passage.id: passage for passage in result.response.passages}
    judged = []
    for citation in result.response.citations:
        passage = passages.get(citation.passage_id)
        judged.append(
            passage is not None
            and bool(covered_gold(passage.source.file, passage.source.start, passage.source.end, result.spans))
        )
    return tuple(judged)


def keyword_recall(answer: str, keywords: Sequence[str]) -> float | None:
    """Share of ``keywords`` found case-insensitively in ``answer``; None without keywords."""
    if not keywords:
        return None
    return 1 - len(missing_keywords(answer, keywords)) / len(keywords)


def missing_keywords(answer: str, keywords: Sequence[str]) -> tuple[str, ...]:
    """The ``keywords`` not found case-insensitively in ``answer``, in their order."""
    folded = answer.casefold()
    return tuple(keyword for keyword in keywords if keyword.casefold() not in folded)


def wants_direct_answer(question: Question) -> bool:
    """Whether the read path should give ``question`` a direct answer: answerable, and of a short-answer type."""
    return question.answerable and question.type in DIRECT_ANSWER_TYPES


def direct_answer_judgement(question: Question, response: AskResponse) -> tuple[bool | None, bool | None]:
    """(was a direct answer given, does its text hold at least one keyword), None where not measured.

    Only questions that want a direct answer are judged; the keyword check also needs a
    direct answer and keywords to look for.
    """
    if not wants_direct_answer(question):
        return None, None
    direct = response.direct_answer
    if direct is None:
        return False, None
    if not question.keywords:
        return True, None
    return True, len(missing_keywords(direct.text, question.keywords)) < len(question.keywords)


def score_question(result: QuestionResult, ranx_figures: dict[str, float] | None, k: int) -> QuestionScores:
    """All per-question figures; ``ranx_figures`` are this question's ranx scores (answerable only)."""
    question, response = result.question, result.response
    passage_gold = tuple(
        tuple(sorted(covered_gold(p.source.file, p.source.start, p.source.end, result.spans)))
        for p in response.passages
    )
    first_relevant = next((position for position, gold in enumerate(passage_gold, start=1) if gold), None)
    retrieval: dict[str, float] = {}
    if question.answerable:
        if ranx_figures is None:
            raise ValueError(f"Question {question.id}: no ranx scores were computed for an answerable question.")
        retrieval = dict(ranx_figures) | {"recall@k": evidence_recall(result, k)}
    citation_good = citation_judgements(result)
    direct_given, direct_has_keyword = direct_answer_judgement(question, response)
    return QuestionScores(
        question_id=question.id,
        type=question.type,
        answerable=question.answerable,
        passage_gold=passage_gold,
        first_relevant_rank=first_relevant,
        retrieval=retrieval,
        citation_good=citation_good,
        citation_precision=sum(citation_good) / len(citation_good) if citation_good else None,
        has_good_citation=not response.abstained and any(citation_good),
        keyword_recall=keyword_recall(response.answer, question.keywords),
        keywords_missing=missing_keywords(response.answer, question.keywords),
        direct_answer_given=direct_given,
        direct_answer_has_keyword=direct_has_keyword,
        abstained=response.abstained,
        latency_ms=result.latency_ms,
    )


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if values else None


def summarise(scores: Sequence[QuestionScores]) -> dict[str, float | None]:
    """Mean figures over a group of questions; None where the group has nothing to measure.

    Retrieval and answer-quality figures average over answerable questions only;
    citation precision averages over answerable questions whose answer cites anything;
    keyword recall over answerable questions that list keywords; the direct-answer rate
    over answerable questions of a short-answer type, and its keyword rate over those of
    them that got a direct answer and list keywords; abstention rate is over unanswerable
    questions; latency percentiles are over all questions.
    """
    answerable = [score for score in scores if score.answerable]
    unanswerable = [score for score in scores if not score.answerable]
    summary: dict[str, float | None] = {
        key: _mean([score.retrieval[key] for score in answerable]) for key in RETRIEVAL_KEYS
    }
    summary["citation_precision"] = _mean(
        [score.citation_precision for score in answerable if score.citation_precision is not None]
    )
    summary["good_citation_rate"] = _mean([float(score.has_good_citation) for score in answerable])
    summary["keyword_recall"] = _mean(
        [score.keyword_recall for score in answerable if score.keyword_recall is not None]
    )
    summary["direct_answer_rate"] = _mean(
        [float(score.direct_answer_given) for score in scores if score.direct_answer_given is not None]
    )
    summary["direct_answer_keyword_rate"] = _mean(
        [float(score.direct_answer_has_keyword) for score in scores if score.direct_answer_has_keyword is not None]
    )
    summary["answered_rate"] = _mean([float(not score.abstained) for score in answerable])
    summary["abstention_rate"] = _mean([float(score.abstained) for score in unanswerable])
    latencies = [score.latency_ms for score in scores]
    summary["latency_p50_ms"] = float(np.percentile(latencies, 50)) if latencies else None
    summary["latency_p95_ms"] = float(np.percentile(latencies, 95)) if latencies else None
    return summary


def score_config(results: Sequence[QuestionResult], k: int) -> ConfigScores:
    """Score every question of one configuration and summarise overall and per question type."""
    figures = ranx_scores(results)
    scores = [score_question(result, figures.get(result.question.id), k) for result in results]
    by_type: dict[str, list[QuestionScores]] = {}
    for score in scores:
        by_type.setdefault(score.type, []).append(score)
    return ConfigScores(
        questions=scores,
        overall=summarise(scores),
        by_type={question_type: summarise(group) for question_type, group in sorted(by_type.items())},
    )


def direct_answer_counts(scores: Sequence[QuestionScores]) -> dict[str, int]:
    """The counts behind the direct-answer rates, so a report can show "12 of 40", not only 0.300.

    ``wanted``: answerable short-answer questions; ``given``: those with a direct answer;
    ``checkable``: those given one that list keywords; ``with_keyword``: those whose
    direct answer holds at least one keyword.
    """
    return {
        "wanted": sum(score.direct_answer_given is not None for score in scores),
        "given": sum(bool(score.direct_answer_given) for score in scores),
        "checkable": sum(score.direct_answer_has_keyword is not None for score in scores),
        "with_keyword": sum(bool(score.direct_answer_has_keyword) for score in scores),
    }


def keyword_recall_by_type(scores: Sequence[QuestionScores]) -> dict[str, dict[str, float | int | None]]:
    """Keyword recall per question type, with how many questions it is over (answerable ones that list keywords)."""
    groups: dict[str, list[float]] = {}
    for score in scores:
        if score.answerable:
            values = groups.setdefault(score.type, [])
            if score.keyword_recall is not None:
                values.append(score.keyword_recall)
    return {
        question_type: {"n": len(values), "keyword_recall": _mean(values)}
        for question_type, values in sorted(groups.items())
    }


def followup_figures(scores: Sequence[QuestionScores], followup_ids: Collection[str]) -> dict[str, float | int | None]:
    """Hit@5, citation precision and keyword recall over the answerable follow-up turns among ``scores``.

    ``n`` is how many such turns there are; figures are None when there are none.
    """
    followups = [score for score in scores if score.answerable and score.question_id in followup_ids]
    summary = summarise(followups)
    return {"n": len(followups)} | {key: summary[key] for key in FOLLOWUP_KEYS}
