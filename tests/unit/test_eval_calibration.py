"""Cross-validated abstention: the logistic fit, the threshold and its tie-breaking, the hash split and its checks."""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from minutes_qa.eval.calibration import (
    EvidenceSample,
    FeatureSample,
    WeightsCalibration,
    answers,
    calibrate_weights,
    fit_logistic,
    fit_threshold,
    fit_weights,
    half_of,
    judge,
    probability,
    rates,
    settings_lines,
    split_halves,
)
from minutes_qa.eval.cli import SAMPLE_QUESTIONS, collect_features, features_reader, run_eval
from minutes_qa.eval.metrics import score_config
from minutes_qa.eval.report import build_report, calibration_output, load_report, render_markdown, write_reports
from minutes_qa.eval.runner import EvalError, HttpBackend
from minutes_qa.rag.evidence import EvidenceFeatures, evidence_probability
from support import GOLD_A, HIT_A, make_question, make_result


def samples(answerable: list[float | None], unanswerable: list[float | None]) -> list[EvidenceSample]:
    numbered = itertools.count()
    return [EvidenceSample(f"q{next(numbered)}", score, True) for score in answerable] + [
        EvidenceSample(f"q{next(numbered)}", score, False) for score in unanswerable
    ]


def in_half(half: str, answerable: list[float], unanswerable: list[float]) -> list[EvidenceSample]:
    """Samples whose ids fall in ``half``, so a test can say exactly what each half holds."""
    ids = (f"{half}-{number}" for number in itertools.count() if half_of(f"{half}-{number}") == half)
    return [EvidenceSample(next(ids), score, True) for score in answerable] + [
        EvidenceSample(next(ids), score, False) for score in unanswerable
    ]


def test_answered_at_or_above_the_threshold_never_without_evidence() -> None:
    assert answers(0.4, 0.4) and not answers(0.39, 0.4)
    assert not answers(None, -1.0)


def test_rates_of_a_threshold() -> None:
    judged = rates(samples([0.2, 0.5, 0.9, None], [0.1, 0.6]), 0.5)
    assert (judged.answerable, judged.unanswerable, judged.answered, judged.abstained) == (4, 2, 2, 1)
    assert (judged.answered_rate, judged.abstained_rate, judged.objective) == (0.5, 0.5, 1.0)
    only_answerable = rates(samples([0.2, 0.9], []), 0.5)
    assert only_answerable.answered_rate == 0.5
    assert only_answerable.abstained_rate is None and only_answerable.objective is None


def test_fit_takes_the_middle_of_the_gap_between_the_classes() -> None:
    threshold, interval = fit_threshold(samples([0.5, 0.6, 0.7], [0.2, 0.3]))
    assert threshold == pytest.approx(0.4)
    assert interval == (0.3, 0.5)


def test_neighbouring_tied_intervals_count_as_one() -> None:
    # At 0.5 an answerable and an unanswerable question sit together: (0.1, 0.5] and (0.5, 0.8] tie.
    threshold, interval = fit_threshold(samples([0.5, 0.8], [0.1, 0.5]))
    assert interval == (0.1, 0.8)
    assert threshold == pytest.approx(0.45)


def test_of_separate_best_intervals_the_widest_wins_then_the_lowest() -> None:
    # (0.1, 0.4] and (0.6, x] both score 1.5.
    assert fit_threshold(samples([0.4, 1.0], [0.1, 0.6]))[0] == pytest.approx(0.8)
    assert fit_threshold(samples([0.4, 0.9], [0.1, 0.6]))[0] == pytest.approx(0.25)


def test_open_best_interval_is_clipped_at_the_outermost_score() -> None:
    # Nothing retrieved for the unanswerable questions: answering everything retrieved is best.
    threshold, interval = fit_threshold(samples([0.3, 0.5], [None, None]))
    assert (threshold, interval) == (0.3, (None, 0.3))
    # Every answerable question scores below every unanswerable one: abstaining on everything is best.
    threshold, interval = fit_threshold(samples([0.1, 0.2], [0.7, 0.9]))
    assert interval == (0.9, None)
    assert threshold > 0.9 and not answers(0.9, threshold)


def test_fit_needs_both_kinds_and_some_score() -> None:
    with pytest.raises(ValueError, match="the fitting half has no unanswerable question"):
        fit_threshold(samples([0.3], []))
    with pytest.raises(ValueError, match="No question has an evidence score"):
        fit_threshold(samples([None], [None]))


def test_halves_come_from_the_id_hash_stable_and_balanced() -> None:
    assert [half_of(f"q-{number}") for number in range(6)] == ["B", "A", "B", "B", "A", "B"]
    in_a = sum(half_of(f"question-{number}") == "A" for number in range(1000))
    assert 450 <= in_a <= 550


def test_split_checks_each_half_and_repeated_ids() -> None:
    with pytest.raises(ValueError, match=r"half B \(1 questions, split by a hash of their ids\) has no unanswerable"):
        split_halves(in_half("A", [0.5], [0.1]) + in_half("B", [0.5], []))
    repeated = in_half("A", [0.5], [0.1]) + in_half("B", [0.5], [0.1])
    with pytest.raises(ValueError, match="repeat question id"):
        split_halves(repeated + repeated[:1])
    assert [len(half) for half in split_halves(repeated).values()] == [2, 2]


def loss_gradient(x: np.ndarray, y: np.ndarray, coefficients: np.ndarray, intercept: float, c: float) -> np.ndarray:
    """The gradient of sum(log loss) + |coefficients|^2 / 2c, by coefficient then intercept (zero at the optimum)."""
    residual = 1 / (1 + np.exp(-(x @ coefficients + intercept))) - y
    return np.append(x.T @ residual + coefficients / c, residual.sum())


def test_logistic_fit_without_features_is_the_unpenalised_log_odds() -> None:
    # All features zero: the penalty keeps the weight at 0, and the intercept (not penalised) is logit(3/4).
    coefficients, intercept = fit_logistic(np.zeros((4, 1)), np.array([1, 1, 1, 0]))
    assert coefficients == pytest.approx([0.0], abs=1e-12)
    assert intercept == pytest.approx(math.log(3), abs=1e-9)


def test_logistic_fit_solves_the_hand_derived_equation() -> None:
    # x = +1: 3 of 4 positive; x = -1: 1 of 4. By symmetry the intercept is 0, and the weight w solves
    # 8 * sigmoid(w) - 6 + w / C = 0 (C = 1), whose root (bisection on paper) is 0.68362.
    x = np.array([[1.0]] * 4 + [[-1.0]] * 4)
    y = np.array([1, 1, 1, 0, 1, 0, 0, 0])
    (weight,), intercept = fit_logistic(x, y)
    assert intercept == pytest.approx(0.0, abs=1e-9)
    assert 8 / (1 + math.exp(-weight)) - 6 + weight == pytest.approx(0.0, abs=1e-9)
    assert weight == pytest.approx(0.68362, abs=1e-5)
    # A weaker penalty (larger C) lets the weight grow towards the unpenalised log(3) = 1.0986.
    (weaker,), _ = fit_logistic(x, y, regularisation_c=100.0)
    assert weight < weaker < math.log(3)


def test_logistic_fit_recovers_a_known_model_from_plenty_of_data() -> None:
    generator = np.random.default_rng(7)
    x = np.column_stack([generator.normal(size=4000), generator.uniform(size=4000), generator.integers(0, 2, 4000)])
    true_coefficients, true_intercept = np.array([2.0, -3.0, 1.5]), 0.5
    y = (generator.uniform(size=4000) < 1 / (1 + np.exp(-(x @ true_coefficients + true_intercept)))).astype(float)
    coefficients, intercept = fit_logistic(x, y)
    assert coefficients == pytest.approx(true_coefficients, abs=0.25)
    assert intercept == pytest.approx(true_intercept, abs=0.25)
    assert np.max(np.abs(loss_gradient(x, y, coefficients, intercept, 1.0))) < 1e-6


def test_logistic_fit_stays_finite_on_separable_data() -> None:
    # Without the penalty the weight would grow without bound; with it the fit converges and separates.
    x = np.array([[0.1], [0.2], [0.3], [0.7], [0.8], [0.9]]) * 10
    y = np.array([0, 0, 0, 1, 1, 1])
    coefficients, intercept = fit_logistic(x, y)
    assert np.all(np.isfinite(coefficients)) and math.isfinite(intercept)
    assert np.max(np.abs(loss_gradient(x, y, coefficients, intercept, 1.0))) < 1e-6
    assert ((x @ coefficients + intercept > 0) == (y == 1)).all()


def test_logistic_fit_matches_scikit_learn() -> None:
    # A cross-check from the 'test' extra, imported here so that only this test needs it; the product never does.
    from sklearn import linear_model

    generator = np.random.default_rng(11)
    x = np.column_stack(
        [
            generator.uniform(0.2, 0.9, 120),
            generator.uniform(0, 1, 120),
            generator.integers(0, 2, 120),
            generator.normal(1, 0.5, 120),
        ]
    )
    y = (x[:, 1] * 3 - x[:, 2] + generator.normal(0, 0.8, 120) > 0.7).astype(int)
    reference = linear_model.LogisticRegression(C=1.0, tol=1e-12, max_iter=100_000).fit(x, y)
    coefficients, intercept = fit_logistic(x, y, regularisation_c=1.0)
    assert coefficients == pytest.approx(reference.coef_[0], abs=1e-5)
    assert intercept == pytest.approx(reference.intercept_[0], abs=1e-5)


def test_logistic_fit_rejects_what_it_cannot_fit() -> None:
    with pytest.raises(ValueError, match="labels are all one class"):
        fit_logistic(np.ones((3, 2)), np.array([1, 1, 1]))
    with pytest.raises(ValueError, match="n x d feature matrix and n labels"):
        fit_logistic(np.ones((3, 2)), np.array([1, 0]))
    with pytest.raises(ValueError, match="NaN or infinite"):
        fit_logistic(np.array([[np.nan], [1.0]]), np.array([1, 0]))


def test_probability_is_the_read_paths_formula() -> None:
    features = EvidenceFeatures(cosine=0.62, support=0.8, asks_kind=True, named_council_first=False, top_score=1.3)
    weights = {"cosine": 0.3, "support": 3.5, "asks_kind": -1.85, "named_council_first": 0.86, "intercept": -1.4}
    assert probability(features.vector(), weights) == pytest.approx(evidence_probability(features, weights), abs=1e-15)


# Question files as given on the command line; tables show their names.
SEEDS = "../shared/eval/seeds.jsonl"
OWN = "eval/extra_questions.jsonl"


def feature_samples(half: str, group: str, rows: list[tuple[float, bool]], start: int = 0) -> list[FeatureSample]:
    """Samples of one feature, "x", whose ids fall in ``half``, in question file ``group``."""
    ids = (f"{group}-{half}-{n}" for n in itertools.count(start) if half_of(f"{group}-{half}-{n}") == half)
    return [FeatureSample(next(ids), group, {"x": x}, answerable) for x, answerable in rows]


def two_file_set() -> list[FeatureSample]:
    """Answerable questions score high on x, unanswerable low, with some overlap; the second file
    holds answerable questions only, and one question had nothing retrieved."""
    nothing_retrieved = next(f"none-{n}" for n in itertools.count() if half_of(f"none-{n}") == "B")
    rows_a = [(0.9, True), (0.8, True), (0.55, True), (0.3, True), (0.1, False), (0.2, False), (0.6, False)]
    rows_b = [(0.85, True), (0.7, True), (0.4, True), (0.15, False), (0.35, False), (0.45, False)]
    return (
        feature_samples("A", SEEDS, rows_a)
        + feature_samples("B", SEEDS, rows_b)
        + feature_samples("A", OWN, [(0.75, True), (0.2, True)])
        + feature_samples("B", OWN, [(0.65, True)])
        + [FeatureSample(nothing_retrieved, OWN, None, True)]
    )


def test_weights_are_fitted_on_the_questions_with_features() -> None:
    fitted = fit_weights(two_file_set())
    assert list(fitted) == ["x", "intercept"] and fitted["x"] > 0
    with pytest.raises(ValueError, match="must be the same"):
        fit_weights([FeatureSample("a", "f", {"x": 1.0}, True), FeatureSample("b", "f", {"y": 1.0}, False)])


def test_judged_overall_and_per_question_file() -> None:
    judged = judge(two_file_set(), {"x": 10.0, "intercept": -5.0}, 0.5)  # answers exactly where x >= 0.5
    assert (judged.overall.answered, judged.overall.answerable) == (7, 11)  # the None question abstains
    assert (judged.overall.abstained, judged.overall.unanswerable) == (5, 6)
    assert list(judged.by_group) == [SEEDS, OWN]
    own = judged.by_group[OWN]
    assert (own.answered, own.answerable, own.unanswerable, own.abstained_rate) == (2, 4, 0, None)


def test_weights_cross_validation_fits_each_half_judges_the_other_and_recommends() -> None:
    samples = two_file_set()
    current = {"x": 10.0, "intercept": -5.0}
    calibration = calibrate_weights(samples, current, 0.5)
    first, second = calibration.folds
    assert (first.fitted_on, first.held_out, second.fitted_on, second.held_out) == ("A", "B", "B", "A")
    assert calibration.features == ("x",)
    for fold in calibration.folds:
        in_fitting = [s for s in samples if half_of(s.question_id) == fold.fitted_on]
        held_out = [s for s in samples if half_of(s.question_id) == fold.held_out]
        assert fold.weights == fit_weights(in_fitting)
        fitting_scores = [
            EvidenceSample(s.question_id, s.features and probability(s.features, fold.weights), s.answerable)
            for s in in_fitting
        ]
        assert fold.threshold == fit_threshold(fitting_scores)[0]
        assert fold.held_out_rates == judge(held_out, fold.weights, fold.threshold)
        assert fold.current_rates == judge(held_out, current, 0.5)
    recommended = calibration.recommended
    assert recommended.fold_thresholds == (first.threshold, second.threshold)
    assert recommended.threshold == round((first.threshold + second.threshold) / 2, 3)
    assert recommended.weights == {name: round(value, 3) for name, value in fit_weights(samples).items()}
    assert recommended.in_sample == judge(samples, recommended.weights, recommended.threshold)
    assert recommended.current_in_sample == judge(samples, current, 0.5)


def test_weights_cross_validation_checks_the_split_first() -> None:
    lopsided = feature_samples("A", "f", [(0.9, True), (0.1, False)]) + feature_samples("B", "f", [(0.8, True)])
    with pytest.raises(ValueError, match=r"half B \(1 questions, split by a hash of their ids\) has no unanswerable"):
        calibrate_weights(lopsided, {}, 0.5)


def test_settings_lines_are_ready_to_paste() -> None:
    weights_line, threshold_line = settings_lines({"cosine": 0.339, "intercept": -1.378}, 0.7)
    assert weights_line == """MINUTES_EVIDENCE_WEIGHTS='{"cosine": 0.339, "intercept": -1.378}'"""
    assert json.loads(weights_line.split("=", 1)[1].strip("'")) == {"cosine": 0.339, "intercept": -1.378}
    assert threshold_line == "MINUTES_ABSTAIN_THRESHOLD=0.700"


def calibration_report() -> tuple[dict, WeightsCalibration]:
    """A one-question run whose report carries a calibration of ``two_file_set``."""
    question = make_question("one", 1)
    calibration = calibrate_weights(two_file_set(), {"x": 10.0, "intercept": -5.0}, 0.5)
    results = {"hybrid": [make_result(question, [HIT_A], cited=[1])]}
    meta = {"question_files": ["set.jsonl"], "corpus": ["c"], "api": None, "configs": ["hybrid"], "k": 10}
    report = build_report(
        meta, [question], {"one": (GOLD_A,)}, results, {"hybrid": score_config(results["hybrid"], k=10)},
        calibration={"hybrid": calibration},
    )
    return report, calibration


def test_report_json_holds_folds_per_file_and_the_recommendation(tmp_path: Path) -> None:
    report, calibration = calibration_report()
    written = load_report(write_reports(report, tmp_path)["json"])["configs"]["hybrid"]["calibration"]
    first = calibration.folds[0]
    assert written["features"] == ["x"] and written["regularisation_c"] == 1.0
    assert written["current"] == {"weights": {"x": 10.0, "intercept": -5.0}, "threshold": 0.5}
    fold = written["folds"][0]
    assert (fold["fitted_on"], fold["held_out"], fold["threshold"]) == ("A", "B", first.threshold)
    assert fold["weights"] == first.weights
    held_out_own = first.held_out_rates.by_group[OWN]
    assert fold["held_out_rates"]["by_file"][OWN] == {
        "threshold": first.threshold, "answerable": held_out_own.answerable, "unanswerable": 0,
        "answered": held_out_own.answered, "abstained": 0, "answered_rate": held_out_own.answered_rate,
        "abstained_rate": None, "objective": None,
    }
    assert fold["current_rates"]["overall"]["objective"] == first.current_rates.overall.objective
    recommended = written["recommended"]
    assert recommended["threshold"] == calibration.recommended.threshold
    assert recommended["threshold_rule"] == "mean of the two folds' fitted thresholds"
    assert recommended["settings"] == settings_lines(calibration.recommended.weights, calibration.recommended.threshold)
    assert list(recommended["in_sample"]["by_file"]) == [SEEDS, OWN]
    assert written["samples"][-1] == {
        "id": calibration.samples[-1].question_id, "file": OWN, "answerable": True, "features": None
    }
    assert len(written["samples"]) == len(two_file_set())


def test_markdown_shows_held_out_rates_per_file_weights_and_settings() -> None:
    report, calibration = calibration_report()
    markdown = render_markdown(report)
    first = calibration.folds[0]
    seeds = first.held_out_rates.by_group[SEEDS]
    assert (
        f"Judged on half B, fitted on half A (threshold {first.threshold:.4f}; current 0.5000):"
    ) in markdown
    assert (
        "| seeds.jsonl | fitted | "
        f"{seeds.answered_rate:.3f} of {seeds.answerable} | {seeds.abstained_rate:.3f} of {seeds.unanswerable} | "
        f"{seeds.objective:.3f} |"
    ) in markdown
    own = first.current_rates.by_group[OWN]
    own_row = f"| extra\\_questions.jsonl | current | {own.answered_rate:.3f} of {own.answerable} |"
    assert own_row + " – | – |" in markdown  # no unanswerable question in that file
    in_sample = calibration.recommended.in_sample.overall
    assert f"All questions, in-sample (threshold {calibration.recommended.threshold:.4f}; current 0.5000):" in markdown
    assert f"| all | recommended | {in_sample.answered_rate:.3f} of {in_sample.answerable} |" in markdown
    recommended = calibration.recommended
    assert f"| threshold | {first.threshold:.3f} | {calibration.folds[1].threshold:.3f} | " in markdown
    assert "threshold = mean of the two folds' fitted thresholds" in markdown
    assert "```sh\n" + "\n".join(settings_lines(recommended.weights, recommended.threshold)) + "\n```" in markdown


def test_terminal_output_keeps_the_settings_lines_whole() -> None:
    report, calibration = calibration_report()
    console = Console(record=True, width=80)
    for part in calibration_output(report):
        console.print(part, soft_wrap=True)
    printed = console.export_text()
    recommended = calibration.recommended
    for line in settings_lines(recommended.weights, recommended.threshold):
        assert line in printed.splitlines()
    assert f"hybrid: judged on half B, fitted on half A (threshold {calibration.folds[0].threshold:.4f}" in printed
    tables = printed.splitlines()[2:-3]  # between the method and legend and the recommendation
    assert max(map(len, tables)) <= 80 and "…" not in "".join(tables)
    assert "extra_questions.jsonl" in printed  # file names are never cut short


def test_features_are_read_for_the_question_as_interpreted_and_labelled_with_their_file() -> None:
    question = make_question("one", 1)
    result = make_result(question, [HIT_A])
    followup = replace(result, response=result.response.model_copy(update={"interpreted_as": "standalone one"}))
    asked = []

    def read(text: str, k: int, retriever: str) -> dict[str, float] | None:
        asked.append((text, k, retriever))
        return None if text == "standalone one" else {"x": 1.0}

    samples = collect_features(read, [result, followup], 7, "hybrid")
    assert asked == [("question one", 7, "hybrid"), ("standalone one", 7, "hybrid")]
    assert samples == [
        FeatureSample("one", "test.jsonl", {"x": 1.0}, True),
        FeatureSample("one", "test.jsonl", None, True),
    ]

    def broken(text: str, k: int, retriever: str) -> dict[str, float] | None:
        raise RuntimeError("index closed")

    with pytest.raises(EvalError, match="Evidence features for question one under 'hybrid' failed: index closed"):
        collect_features(broken, [result], 7, "hybrid")


def test_calibrate_is_in_process_only(tmp_path: Path) -> None:
    with pytest.raises(EvalError, match="--calibrate reads the engine's evidence features"):
        run_eval([SAMPLE_QUESTIONS], [], ["hybrid"], 10, tmp_path / "out", api="http://127.0.0.1:9", calibrate=True)
    with pytest.raises(EvalError, match="needs the engine in process"):
        features_reader(HttpBackend("http://127.0.0.1:9", 1.0))
