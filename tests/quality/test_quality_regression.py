"""Quality floors on the shared question sets, scored with the evaluation harness's own metrics.

Relevance is span overlap (``eval.relevance``); hit@k and citation precision come from
``eval.metrics``, so these figures are the ones ``minutes eval`` reports. The answers are the
ones ``test_answers`` checked (asked once per session through :func:`support.ask_cached`).

Floors are what the lead measured; a drop below one is a regression to investigate, not a
number to lower.
"""

from __future__ import annotations

import pytest

from minutes_qa.eval.metrics import QuestionResult, score_config
from minutes_qa.eval.questions import load_questions
from minutes_qa.eval.relevance import gold_spans, locate_quote, overlaps
from minutes_qa.rag.engine import Engine
from support import ASK_K, SHARED_EVAL, ask_cached

FLOORS = {
    "seeds.jsonl": {
        "hit@5": 0.96, "hit@1": 0.83, "mrr@10": 0.90, "citation_precision": 0.84, "keyword_recall": 0.81,
        "answered_rate": 0.96, "abstention_rate": 0.95,
    },
    "dev.jsonl": {
        "hit@5": 0.99, "hit@1": 0.97, "mrr@10": 0.98, "citation_precision": 0.97, "keyword_recall": 0.80,
        "answered_rate": 0.94, "abstention_rate": 0.95,
    },
}


def score(engine: Engine, name: str) -> dict[str, float | None]:
    questions = load_questions([SHARED_EVAL / name])
    files = sorted({gold.file for question in questions for gold in question.gold})
    texts = {file: engine.document_text(file) for file in files}
    results = [
        QuestionResult(question, gold_spans(question, texts), ask_cached(engine, question.question), latency_ms=0.0)
        for question in questions
    ]
    overall = score_config(results, ASK_K).overall
    overall["questions"] = len(questions)
    overall["simple_hit@5"] = simple_hit_rate(engine, results, 5)
    return overall


def simple_hit_rate(engine: Engine, results: list[QuestionResult], k: int) -> float:
    """hit@k computed by hand, as a check on the harness: a top-k passage overlaps a gold quote."""
    answerable = [result for result in results if result.question.answerable]
    hits = 0
    for result in answerable:
        spans = [
            (gold.file, start, end)
            for gold in result.question.gold
            for start, end in locate_quote(engine.document_text(gold.file), gold.quote)
        ]
        hits += any(
            passage.source.file == file and overlaps(passage.source.start, passage.source.end, start, end)
            for passage in result.response.passages[:k]
            for file, start, end in spans
        )
    return hits / len(answerable)


@pytest.fixture(scope="module")
def figures(corpus_engine: Engine) -> dict[str, dict[str, float | None]]:
    measured = {name: score(corpus_engine, name) for name in FLOORS}
    for name, values in measured.items():
        shown = ", ".join(
            f"{key}={value:.3f}" for key, value in values.items() if isinstance(value, float) and "latency" not in key
        )
        print(f"\n{name} ({values['questions']} questions, k={ASK_K}): {shown}")
    return measured


@pytest.mark.parametrize(("name", "metric"), [(name, metric) for name, floors in FLOORS.items() for metric in floors])
def test_quality_floor(figures: dict, name: str, metric: str) -> None:
    value = figures[name][metric]
    assert value is not None and value >= FLOORS[name][metric], f"{name} {metric} = {value:.3f} < floor {FLOORS[name][metric]}"


@pytest.mark.parametrize("name", list(FLOORS))
def test_harness_hit_rate_agrees_with_hand_count(figures: dict, name: str) -> None:
    assert figures[name]["simple_hit@5"] == pytest.approx(figures[name]["hit@5"])
