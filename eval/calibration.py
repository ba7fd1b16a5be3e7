"""Cross-validated calibration of the abstention threshold (pure functions).

The read path answers when a question's evidence score reaches the threshold and
abstains below it. Fitting the threshold on the questions it is then judged on flatters
it, so the questions are split in two halves by a hash of their id (stable from run to
run and machine to machine, unlike Python's ``hash``); the threshold is fitted on each
half and judged on the other.

The objective is (share of answerable questions answered) + (share of unanswerable
questions abstained on), so both kinds of question weigh the same however many of each
a set holds. Every threshold between two neighbouring observed scores scores the same,
so among the best thresholds the middle of the widest best interval is taken: it
leaves the most room on both sides for scores not seen in the fitting half.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

HALVES: tuple[str, str] = ("A", "B")


@dataclass(frozen=True)
class EvidenceSample:
    """One question's evidence score and whether it has an answer in the minutes."""

    question_id: str
    score: float | None  # None: nothing was retrieved, so the read path abstains whatever the threshold
    answerable: bool


@dataclass(frozen=True)
class Rates:
    """How a threshold does on a group of questions."""

    threshold: float
    answerable: int
    unanswerable: int
    answered_rate: float  # share of answerable questions answered
    abstained_rate: float  # share of unanswerable questions abstained on

    @property
    def objective(self) -> float:
        return self.answered_rate + self.abstained_rate


@dataclass(frozen=True)
class Fold:
    """The threshold fitted on one half and how it, and the current setting, do on the other."""

    fitted_on: str
    held_out: str
    fitted: Rates  # the fitted threshold on the half it was fitted on
    best_interval: tuple[float | None, float | None]  # (low, high]: every threshold in it scores best; None = open
    held_out_rates: Rates
    current_rates: Rates | None  # the configured threshold on the held-out half, when one is given


def half_of(question_id: str) -> str:
    """"A" or "B": the half a question falls in, from a hash of its id."""
    return HALVES[hashlib.sha256(question_id.encode("utf-8")).digest()[0] & 1]


def answers(score: float | None, threshold: float) -> bool:
    """Whether the read path answers at this evidence score (it abstains strictly below the threshold)."""
    return score is not None and score >= threshold


def _counts(samples: Sequence[EvidenceSample], threshold: float) -> tuple[Fraction, Fraction, int, int]:
    answerable = [sample for sample in samples if sample.answerable]
    unanswerable = [sample for sample in samples if not sample.answerable]
    answered = sum(answers(sample.score, threshold) for sample in answerable)
    abstained = sum(not answers(sample.score, threshold) for sample in unanswerable)
    answered_share, abstained_share = Fraction(answered, len(answerable)), Fraction(abstained, len(unanswerable))
    return answered_share, abstained_share, len(answerable), len(unanswerable)


def rates(samples: Sequence[EvidenceSample], threshold: float) -> Rates:
    """How ``threshold`` does on ``samples``, which must hold answerable and unanswerable questions."""
    _check_both_kinds(samples, "the set")
    answered, abstained, answerable, unanswerable = _counts(samples, threshold)
    return Rates(threshold, answerable, unanswerable, float(answered), float(abstained))


def _check_both_kinds(samples: Sequence[EvidenceSample], where: str) -> None:
    for answerable, kind in ((True, "answerable"), (False, "unanswerable")):
        if not any(sample.answerable == answerable for sample in samples):
            raise ValueError(
                f"Calibration needs answerable and unanswerable questions in each half, but {where} "
                f"has no {kind} question; add {kind} questions to the set."
            )


def fit_threshold(samples: Sequence[EvidenceSample]) -> tuple[float, tuple[float | None, float | None]]:
    """The threshold that maximises the objective on ``samples``, and the best interval it is the middle of.

    Candidate intervals lie between neighbouring distinct scores: (-inf, s1], (s1, s2], ...,
    (sn, +inf); neighbouring intervals that tie are one interval. Among several best
    intervals the widest wins (the lowest on a tie). An open end is clipped at the
    outermost score for taking the middle, since nothing was seen beyond it.
    """
    _check_both_kinds(samples, "the fitting half")
    scores = sorted({sample.score for sample in samples if sample.score is not None})
    if not scores:
        raise ValueError("No question has an evidence score (nothing was retrieved for any): nothing to calibrate.")
    # Interval i is (bounds[i], bounds[i + 1]]; any threshold in it answers exactly the scores >= bounds[i + 1].
    bounds: list[float | None] = [None, *scores, None]
    objectives = []
    for low in range(len(bounds) - 1):
        representative = bounds[low + 1] if bounds[low + 1] is not None else math.nextafter(scores[-1], math.inf)
        answered, abstained, _, _ = _counts(samples, representative)
        objectives.append(answered + abstained)
    best = max(objectives)
    runs: list[tuple[int, int]] = []  # first and last interval of each run of best intervals
    for position, objective in enumerate(objectives):
        if objective != best:
            continue
        if runs and runs[-1][1] == position - 1:
            runs[-1] = (runs[-1][0], position)
        else:
            runs.append((position, position))

    def clipped(run: tuple[int, int]) -> tuple[float, float]:
        low, high = bounds[run[0]], bounds[run[1] + 1]
        return (scores[0] if low is None else low, math.nextafter(scores[-1], math.inf) if high is None else high)

    first, last = max(runs, key=lambda run: (clipped(run)[1] - clipped(run)[0], -run[0]))
    low, high = clipped((first, last))
    return (low + high) / 2, (bounds[first], bounds[last + 1])


def split_halves(samples: Sequence[EvidenceSample]) -> dict[str, list[EvidenceSample]]:
    """The samples of each half, checked to make a fair split.

    Raises ``ValueError`` when a half lacks answerable or unanswerable questions, or a
    question id repeats (it would fall in one half twice). Scores are not looked at, so
    a question set can be checked before anything is asked.
    """
    counts = Counter(sample.question_id for sample in samples)
    repeated = sorted(question_id for question_id, count in counts.items() if count > 1)
    if repeated:
        raise ValueError(f"Calibration samples repeat question id(s) {', '.join(repeated)}.")
    halves = {half: [sample for sample in samples if half_of(sample.question_id) == half] for half in HALVES}
    for half, members in halves.items():
        _check_both_kinds(members, f"half {half} ({len(members)} questions, split by a hash of their ids)")
    return halves


def cross_validate(samples: Sequence[EvidenceSample], current_threshold: float | None = None) -> tuple[Fold, Fold]:
    """Fit on half A and judge on B, and the other way round; ``current_threshold`` is judged on each too.

    Raises ``ValueError`` as :func:`split_halves` does, or when no question has a score.
    """
    halves = split_halves(samples)
    folds = []
    for fitted_on, held_out in (HALVES, HALVES[::-1]):
        threshold, interval = fit_threshold(halves[fitted_on])
        folds.append(
            Fold(
                fitted_on=fitted_on,
                held_out=held_out,
                fitted=rates(halves[fitted_on], threshold),
                best_interval=interval,
                held_out_rates=rates(halves[held_out], threshold),
                current_rates=None if current_threshold is None else rates(halves[held_out], current_threshold),
            )
        )
    return folds[0], folds[1]
