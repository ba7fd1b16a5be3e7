"""Metric plumbing on tiny hand-made runs whose figures are known exactly."""

from __future__ import annotations

import math

import pytest

from minutes_qa.eval.metrics import (
    direct_answer_counts,
    followup_figures,
    judgements,
    keyword_recall,
    keyword_recall_by_type,
    missing_keywords,
    score_config,
    summarise,
)
from support import HIT_A, HIT_AB, HIT_B, MISS, make_question, make_result


def test_perfect_run_scores_one_everywhere() -> None:
    results = [
        make_result(make_question("one", 1), [HIT_A, MISS, MISS], cited=[1]),
        make_result(make_question("two", 2), [HIT_A, HIT_B, MISS], cited=[1, 2]),
    ]
    overall = score_config(results, k=10).overall
    for key in ("hit@1", "hit@3", "hit@5", "hit@10", "recall@k", "mrr@10", "ndcg@10"):
        assert overall[key] == pytest.approx(1.0), key
    assert overall["citation_precision"] == 1.0
    assert overall["good_citation_rate"] == 1.0
    assert overall["answered_rate"] == 1.0


def test_run_with_nothing_relevant_scores_zero_everywhere() -> None:
    results = [
        make_result(make_question("one", 1), [MISS, MISS, MISS], cited=[1]),
        make_result(make_question("two", 2), [], cited=[]),  # nothing retrieved at all: no ranx crash
    ]
    config = score_config(results, k=10)
    for key in ("hit@1", "hit@3", "hit@5", "hit@10", "recall@k", "mrr@10", "ndcg@10"):
        assert config.overall[key] == 0.0, key
    assert config.overall["citation_precision"] == 0.0  # only question "one" cites anything
    assert config.overall["good_citation_rate"] == 0.0
    assert config.questions[1].first_relevant_rank is None


def test_mixed_run_gives_exact_values() -> None:
    # "one": its only gold quote first appears at rank 2.
    # "two": two gold quotes, only B is found, at rank 4.
    results = [
        make_result(make_question("one", 1), [MISS, HIT_A, MISS, MISS]),
        make_result(make_question("two", 2), [MISS, MISS, MISS, HIT_B, MISS]),
    ]
    config = score_config(results, k=10)
    one, two = (score.retrieval for score in config.questions)
    assert one["mrr@10"] == pytest.approx(0.5)
    assert one["ndcg@10"] == pytest.approx(1 / math.log2(3))
    assert two["mrr@10"] == pytest.approx(0.25)
    # Gain 1 at rank 4; the ideal ranking holds both gold quotes at ranks 1 and 2.
    assert two["ndcg@10"] == pytest.approx((1 / math.log2(5)) / (1 + 1 / math.log2(3)))
    assert two["recall@k"] == 0.5
    overall = config.overall
    assert (overall["hit@1"], overall["hit@3"], overall["hit@5"], overall["hit@10"]) == (0.0, 0.5, 1.0, 1.0)
    assert overall["mrr@10"] == pytest.approx(0.375)
    assert overall["recall@k"] == pytest.approx(0.75)
    assert overall["ndcg@10"] == pytest.approx((one["ndcg@10"] + two["ndcg@10"]) / 2)
    assert [score.first_relevant_rank for score in config.questions] == [2, 4]


def test_one_passage_holding_two_gold_quotes_is_a_perfect_ranking() -> None:
    result = make_result(make_question("two", 2), [HIT_AB, MISS])
    qrels, run = judgements(result)
    assert qrels == {"1:p1": 2}
    assert list(run) == ["1:p1", "2:p2"]
    scores = score_config([result], k=10).questions[0].retrieval
    assert scores["ndcg@10"] == pytest.approx(1.0)
    assert scores["recall@k"] == 1.0


def test_redundant_passages_on_the_same_gold_earn_nothing_more() -> None:
    result = make_result(make_question("two", 2), [HIT_A, HIT_A, HIT_B])
    qrels, _ = judgements(result)
    assert qrels == {"1:p1": 1, "3:p3": 1}
    expected = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert score_config([result], k=10).questions[0].retrieval["ndcg@10"] == pytest.approx(expected)


def test_uncovered_gold_quotes_become_placeholders_in_the_ideal() -> None:
    qrels, _ = judgements(make_result(make_question("two", 2), [MISS, HIT_B]))
    assert qrels == {"2:p2": 1, "missing:0": 1}


def test_repeated_passage_ids_keep_distinct_ranx_ids() -> None:
    result = make_result(make_question("one", 1), [MISS, HIT_A], passage_ids=["same", "same"])
    _, run = judgements(result)
    assert list(run) == ["1:same", "2:same"]
    assert score_config([result], k=10).questions[0].retrieval["mrr@10"] == pytest.approx(0.5)


def test_evidence_recall_only_counts_the_top_k() -> None:
    result = make_result(make_question("two", 2), [HIT_A, MISS, HIT_B])
    assert score_config([result], k=2).questions[0].retrieval["recall@k"] == 0.5
    assert score_config([result], k=3).questions[0].retrieval["recall@k"] == 1.0


def test_answer_metrics() -> None:
    keyworded = make_question("one", 1, keywords=("Workforce", "vacanc", "2022"))
    results = [
        # 3 citations, of which rank 1 (relevant) and rank 3 (relevant) are good, rank 2 is not.
        make_result(keyworded, [HIT_A, MISS, HIT_A], cited=[1, 2, 3], answer="WORKFORCE vacancies rose", latency_ms=10),
        # cites a passage id that is not among the passages: not good.
        make_result(make_question("two", 2), [HIT_A], cited=[0], latency_ms=20),
        # abstained on an answerable question.
        make_result(make_question("three", 1), [MISS], abstained=True, latency_ms=30),
        make_result(make_question("none-1", 0), [MISS], abstained=True, latency_ms=40),
        make_result(make_question("none-2", 0), [HIT_A], cited=[1], latency_ms=50),
    ]
    config = score_config(results, k=10)
    first = config.questions[0]
    assert first.citation_good == (True, False, True)
    assert first.citation_precision == pytest.approx(2 / 3)
    assert first.keyword_recall == pytest.approx(2 / 3)
    overall = config.overall
    assert overall["citation_precision"] == pytest.approx((2 / 3 + 0) / 2)
    assert overall["good_citation_rate"] == pytest.approx(1 / 3)
    assert overall["keyword_recall"] == pytest.approx(2 / 3)  # only question "one" lists keywords
    assert overall["answered_rate"] == pytest.approx(2 / 3)
    assert overall["abstention_rate"] == pytest.approx(0.5)
    assert overall["latency_p50_ms"] == pytest.approx(30.0)
    assert overall["latency_p95_ms"] == pytest.approx(48.0)  # numpy linear interpolation


def test_abstained_answer_has_no_good_citation_even_if_it_cites() -> None:
    result = make_result(make_question("one", 1), [HIT_A], cited=[1], abstained=True)
    assert score_config([result], k=10).questions[0].has_good_citation is False


def test_unanswerable_questions_are_left_out_of_retrieval_metrics() -> None:
    results = [
        make_result(make_question("one", 1), [HIT_A]),
        make_result(make_question("none", 0), [MISS], abstained=True),
    ]
    config = score_config(results, k=10)
    assert config.overall["hit@1"] == 1.0
    assert config.questions[1].retrieval == {}
    assert config.by_type["unanswerable"]["hit@1"] is None
    assert config.by_type["unanswerable"]["abstention_rate"] == 1.0
    assert config.by_type["factoid"]["abstention_rate"] is None


def test_breakdown_per_question_type() -> None:
    results = [
        make_result(make_question("w1", 1, type_="who"), [HIT_A]),
        make_result(make_question("w2", 1, type_="who"), [MISS, HIT_A]),
        make_result(make_question("d1", 1, type_="decision"), [MISS]),
    ]
    by_type = score_config(results, k=10).by_type
    assert list(by_type) == ["decision", "who"]
    assert by_type["who"]["mrr@10"] == pytest.approx(0.75)
    assert by_type["decision"]["mrr@10"] == 0.0


def test_keyword_recall_without_keywords_is_unmeasured() -> None:
    assert keyword_recall("anything", ()) is None
    assert keyword_recall("Health and Care Act 2022", ("health and care act", "2023")) == 0.5


def test_summary_of_nothing_is_all_unmeasured() -> None:
    assert set(summarise([]).values()) == {None}


def test_missing_keywords_in_order_case_insensitive() -> None:
    assert missing_keywords("Cllr ANN Smith seconded", ("ann smith", "2021", "Seconded", "vote")) == ("2021", "vote")
    assert missing_keywords("anything", ()) == ()


def test_direct_answer_rate_counts_short_answer_questions_only() -> None:
    who = make_question("who", 1, type_="who", keywords=("Ann Smith", "chair"))
    when = make_question("when", 1, type_="when", keywords=("March 2021",))
    how_much = make_question("how-much", 1, type_="how-much", keywords=("£2m",))
    factoid = make_question("factoid", 1, type_="factoid")  # no keywords: rate only
    summary = make_question("summary", 1, type_="summary", keywords=("budget",))
    results = [
        make_result(who, [HIT_A], cited=[1], answer="Cllr Ann Smith chaired. [1]", direct="Cllr Ann Smith"),
        make_result(when, [HIT_A], cited=[1], answer="In spring 2021. [1]", direct="spring 2021"),  # no keyword
        make_result(how_much, [HIT_A], cited=[1], answer="About £2m. [1]"),  # no direct answer
        make_result(factoid, [HIT_A], cited=[1], direct="yes"),
        make_result(summary, [HIT_A], cited=[1], direct="budget"),  # not a short-answer type: not judged
        make_result(make_question("none", 0), [MISS], direct="Ann"),  # unanswerable: not judged
    ]
    config = score_config(results, k=10)
    judged = [(score.direct_answer_given, score.direct_answer_has_keyword) for score in config.questions]
    assert judged == [(True, True), (True, False), (False, None), (True, None), (None, None), (None, None)]
    assert config.overall["direct_answer_rate"] == pytest.approx(3 / 4)
    assert config.overall["direct_answer_keyword_rate"] == pytest.approx(1 / 2)
    assert config.by_type["summary"]["direct_answer_rate"] is None
    assert config.by_type["who"]["direct_answer_keyword_rate"] == 1.0
    assert direct_answer_counts(config.questions) == {"wanted": 4, "given": 3, "checkable": 2, "with_keyword": 1}
    assert [score.keywords_missing for score in config.questions[:2]] == [(), ("March 2021",)]


def test_keyword_recall_by_type_counts_questions_with_keywords() -> None:
    results = [
        make_result(make_question("w1", 1, type_="who", keywords=("Ann", "Bob")), [HIT_A], answer="Ann"),
        make_result(make_question("w2", 1, type_="who", keywords=("Cy",)), [HIT_A], answer="Cy"),
        make_result(make_question("w3", 1, type_="who"), [HIT_A]),  # no keywords: not counted
        make_result(make_question("d1", 1, type_="decision"), [HIT_A]),
        make_result(make_question("none", 0, keywords=("x",)), [MISS], answer="x"),  # unanswerable: left out
    ]
    by_type = keyword_recall_by_type(score_config(results, k=10).questions)
    assert by_type == {
        "decision": {"n": 0, "keyword_recall": None},
        "who": {"n": 2, "keyword_recall": pytest.approx(0.75)},
    }


def test_followup_figures_cover_answerable_followups_only() -> None:
    results = [
        make_result(make_question("t1", 1, keywords=("a",)), [MISS], answer="a"),
        make_result(make_question("t2", 1, keywords=("a", "b")), [MISS, MISS, HIT_A], cited=[1, 3], answer="a"),
        make_result(make_question("t3", 1), [MISS] * 6 + [HIT_A], cited=[1]),
        make_result(make_question("t4", 0), [MISS], cited=[1]),
    ]
    scores = score_config(results, k=10).questions
    figures = followup_figures(scores, {"t2", "t3", "t4"})
    assert figures == {"n": 2, "hit@5": 0.5, "citation_precision": 0.25, "keyword_recall": 0.5}
    unmeasured = {"n": 0, "hit@5": None, "citation_precision": None, "keyword_recall": None}
    assert followup_figures(scores, set()) == unmeasured
