"""Cross-validated abstention threshold: fitting, tie-breaking, the hash split and its checks."""

from __future__ import annotations

import itertools

import pytest

from eval.calibration import EvidenceSample, answers, cross_validate, fit_threshold, half_of, rates, split_halves


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
    assert (judged.answerable, judged.unanswerable) == (4, 2)
    assert (judged.answered_rate, judged.abstained_rate, judged.objective) == (0.5, 0.5, 1.0)


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


def test_cross_validation_fits_on_each_half_and_judges_on_the_other() -> None:
    half_a = in_half("A", [0.5, 0.6, 0.7], [0.2, 0.3])  # fits 0.4
    half_b = in_half("B", [0.35, 0.8], [0.1, 0.45])  # best (0.1, 0.35] and the wider (0.45, 0.8]: fits 0.625
    a_to_b, b_to_a = cross_validate(half_b + half_a, current_threshold=0.42)
    assert (a_to_b.fitted_on, a_to_b.held_out, b_to_a.fitted_on, b_to_a.held_out) == ("A", "B", "B", "A")
    assert a_to_b.fitted.threshold == pytest.approx(0.4) and a_to_b.fitted.objective == 2.0
    assert a_to_b.best_interval == (0.3, 0.5)
    assert (a_to_b.held_out_rates.answered_rate, a_to_b.held_out_rates.abstained_rate) == (0.5, 0.5)
    assert b_to_a.fitted.threshold == pytest.approx(0.625)
    assert b_to_a.held_out_rates.answered_rate == pytest.approx(1 / 3)
    assert b_to_a.held_out_rates.abstained_rate == 1.0
    assert b_to_a.current_rates is not None and b_to_a.current_rates.objective == 2.0
    assert cross_validate(half_a + half_b)[0].current_rates is None


def test_split_checks_each_half_and_repeated_ids() -> None:
    with pytest.raises(ValueError, match=r"half B \(1 questions, split by a hash of their ids\) has no unanswerable"):
        split_halves(in_half("A", [0.5], [0.1]) + in_half("B", [0.5], []))
    repeated = in_half("A", [0.5], [0.1]) + in_half("B", [0.5], [0.1])
    with pytest.raises(ValueError, match="repeat question id"):
        split_halves(repeated + repeated[:1])
    assert [len(half) for half in split_halves(repeated).values()] == [2, 2]
