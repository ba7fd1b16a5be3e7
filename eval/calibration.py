"""Cross-validated calibration of abstention: the evidence weights and the threshold (pure functions).

The read path abstains when the probability that its first results answer the question
(a logistic model over :class:`rag.evidence.EvidenceFeatures`, see
:func:`rag.evidence.evidence_probability`) falls below the threshold. Both the model's
weights and the threshold are fitted on labelled questions, and fitting on the questions
they are then judged on flatters them; so the questions are split in two halves by a hash
of their id (stable from run to run and machine to machine, unlike Python's ``hash``),
and the weights and threshold fitted on each half are judged on the other.

The weights are an L2-regularised logistic regression fitted by Newton's method: the
same optimum as scikit-learn's ``LogisticRegression(C=1)`` on the unscaled features, the
intercept not penalised. The threshold is then fitted on the fitting half's
probabilities. Its objective is (share of answerable questions answered) + (share of
unanswerable questions abstained on), so both kinds of question weigh the same however
many of each a set holds. Every threshold between two neighbouring observed scores scores
the same, so among the best thresholds the middle of the widest best interval is taken:
it leaves the most room on both sides for scores not seen in the fitting half.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol, TypeVar

import numpy as np

HALVES: tuple[str, str] = ("A", "B")
# scikit-learn's C: the inverse strength of the L2 penalty on the weights (not on the intercept).
REGULARISATION_C = 1.0
# The recommended settings are rounded to this many decimals, and judged as rounded.
RECOMMENDED_DECIMALS = 3
INTERCEPT = "intercept"


class Labelled(Protocol):
    @property
    def question_id(self) -> str: ...

    @property
    def answerable(self) -> bool: ...


LabelledSample = TypeVar("LabelledSample", bound=Labelled)


@dataclass(frozen=True)
class EvidenceSample:
    """One question's evidence score and whether it has an answer in the minutes."""

    question_id: str
    score: float | None  # None: nothing was retrieved, so the read path abstains whatever the threshold
    answerable: bool


@dataclass(frozen=True)
class FeatureSample:
    """One question's evidence features (``EvidenceFeatures.vector()``), its question file and label."""

    question_id: str
    group: str  # the question file, so that each set's figures can be read apart
    features: Mapping[str, float] | None  # None: nothing was retrieved, so the read path abstains
    answerable: bool


@dataclass(frozen=True)
class Rates:
    """How a threshold does on a group of questions; a rate is None when the group has no question of its kind."""

    threshold: float
    answerable: int
    unanswerable: int
    answered: int  # answerable questions answered
    abstained: int  # unanswerable questions abstained on

    @property
    def answered_rate(self) -> float | None:
        return self.answered / self.answerable if self.answerable else None

    @property
    def abstained_rate(self) -> float | None:
        return self.abstained / self.unanswerable if self.unanswerable else None

    @property
    def objective(self) -> float | None:
        if self.answered_rate is None or self.abstained_rate is None:
            return None
        return self.answered_rate + self.abstained_rate


@dataclass(frozen=True)
class Judged:
    """How a setting (weights and threshold) does on a set of questions, overall and per question file."""

    overall: Rates
    by_group: dict[str, Rates]


@dataclass(frozen=True)
class WeightsFold:
    """Weights and threshold fitted on one half, and how they and the current settings do on the other."""

    fitted_on: str
    held_out: str
    weights: dict[str, float]  # one per feature, and "intercept"
    threshold: float
    best_interval: tuple[float | None, float | None]  # (low, high]: every threshold in it scores best; None = open
    fitted: Rates  # the fitted setting on the half it was fitted on
    held_out_rates: Judged
    current_rates: Judged  # the configured weights and threshold on the held-out half


@dataclass(frozen=True)
class Recommendation:
    """Weights fitted on every question and the mean of the folds' thresholds, rounded as pasted."""

    weights: dict[str, float]
    threshold: float
    fold_thresholds: tuple[float, float]
    in_sample: Judged  # on every question, the weights' own fitting set: flattering
    current_in_sample: Judged  # the configured settings on every question


@dataclass(frozen=True)
class WeightsCalibration:
    """The two folds of the cross-validation, the recommended settings and the settings they replace."""

    features: tuple[str, ...]
    regularisation_c: float
    samples: tuple[FeatureSample, ...]  # what was fitted on
    folds: tuple[WeightsFold, WeightsFold]
    recommended: Recommendation
    current_weights: dict[str, float]
    current_threshold: float


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
    """How ``threshold`` does on ``samples``."""
    answerable = [sample for sample in samples if sample.answerable]
    unanswerable = [sample for sample in samples if not sample.answerable]
    return Rates(
        threshold=threshold,
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        answered=sum(answers(sample.score, threshold) for sample in answerable),
        abstained=sum(not answers(sample.score, threshold) for sample in unanswerable),
    )


def _check_both_kinds(samples: Sequence[Labelled], where: str) -> None:
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
    for interval in range(len(bounds) - 1):
        upper = bounds[interval + 1]
        representative = upper if upper is not None else math.nextafter(scores[-1], math.inf)
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


def split_halves(samples: Sequence[LabelledSample]) -> dict[str, list[LabelledSample]]:
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


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    # tanh form: no overflow warning for large negative logits, unlike 1 / (1 + exp(-z)).
    return 0.5 * (1.0 + np.tanh(0.5 * logits))


def fit_logistic(
    features: np.ndarray,
    labels: np.ndarray,
    regularisation_c: float = REGULARISATION_C,
    tolerance: float = 1e-10,
    max_iterations: int = 100,
) -> tuple[np.ndarray, float]:
    """The coefficients and intercept of an L2-regularised logistic regression, by Newton's method.

    Minimises ``sum(log loss) + ||coefficients||^2 / (2 * regularisation_c)`` over the rows of
    ``features`` (n x d, unscaled) and 0/1 ``labels``; the intercept is not penalised. That is
    scikit-learn's ``LogisticRegression(C=regularisation_c)`` objective, so the optimum is the
    same. Newton steps are halved until the loss falls enough, which keeps them safe where the
    loss is flat (nearly separable data). Raises ``ValueError`` for malformed input or labels of
    one class only (the intercept would run off to infinity), and when it does not converge.
    """
    x = np.asarray(features, dtype=float)
    y = np.asarray(labels, dtype=float)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"Logistic fit needs an n x d feature matrix and n labels, got {x.shape} and {y.shape}.")
    if not np.all(np.isfinite(x)):
        raise ValueError("Logistic fit: the features hold NaN or infinite values.")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("Logistic fit: labels must be 0 or 1.")
    if y.min() == y.max():
        raise ValueError(
            "Logistic fit needs both answerable and unanswerable questions (the labels are all one class)."
        )
    if regularisation_c <= 0:
        raise ValueError(f"Logistic fit: regularisation_c must be positive, got {regularisation_c}.")
    design = np.hstack([x, np.ones((x.shape[0], 1))])  # last column: the intercept
    penalty = np.full(design.shape[1], 1.0 / regularisation_c)
    penalty[-1] = 0.0

    def loss(theta: np.ndarray) -> float:
        logits = design @ theta
        return float(np.sum(np.logaddexp(0.0, logits) - y * logits) + 0.5 * np.sum(penalty * theta**2))

    theta = np.zeros(design.shape[1])
    for _ in range(max_iterations):
        probabilities = _sigmoid(design @ theta)
        gradient = design.T @ (probabilities - y) + penalty * theta
        if np.max(np.abs(gradient)) <= tolerance * max(1.0, float(x.shape[0])):
            return theta[:-1].copy(), float(theta[-1])
        hessian = (design.T * (probabilities * (1.0 - probabilities))) @ design + np.diag(penalty)
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            raise ValueError("Logistic fit: the Hessian is singular (features far too large?).") from None
        current, decrease, scale = loss(theta), float(gradient @ step), 1.0
        while loss(theta - scale * step) > current - 1e-4 * scale * decrease and scale > 1e-12:
            scale /= 2
        theta = theta - scale * step
    raise ValueError(f"Logistic fit did not converge in {max_iterations} Newton steps.")


def probability(features: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """The logistic probability of ``features`` under ``weights``; the formula of
    :func:`rag.evidence.evidence_probability` (a weight not given counts 0)."""
    logit = weights.get(INTERCEPT, 0.0) + sum(weights.get(name, 0.0) * value for name, value in features.items())
    return 1.0 / (1.0 + math.exp(-logit))


def feature_names(samples: Sequence[FeatureSample]) -> tuple[str, ...]:
    """The features every sample with features holds, in their order; raises ``ValueError`` if they differ."""
    featured = [sample for sample in samples if sample.features is not None]
    if not featured:
        raise ValueError("No question has evidence features (nothing was retrieved for any): nothing to calibrate.")
    names = tuple(featured[0].features or {})
    for sample in featured:
        if set(sample.features or {}) != set(names):
            raise ValueError(
                f"Question {sample.question_id} has features {sorted(sample.features or {})}, "
                f"question {featured[0].question_id} has {sorted(names)}: they must be the same."
            )
    return names


def fit_weights(samples: Sequence[FeatureSample], regularisation_c: float = REGULARISATION_C) -> dict[str, float]:
    """Logistic weights (one per feature, and "intercept") fitted on the samples that have features.

    Questions for which nothing was retrieved are left out: the read path abstains on them
    whatever the weights. Raises ``ValueError`` as :func:`fit_logistic` does.
    """
    names = feature_names(samples)
    featured = [sample for sample in samples if sample.features is not None]
    x = np.array([[(sample.features or {})[name] for name in names] for sample in featured])
    y = np.array([sample.answerable for sample in featured], dtype=float)
    coefficients, intercept = fit_logistic(x, y, regularisation_c)
    return {**{name: float(value) for name, value in zip(names, coefficients, strict=True)}, INTERCEPT: intercept}


def scored(samples: Sequence[FeatureSample], weights: Mapping[str, float]) -> list[EvidenceSample]:
    """Each sample's evidence probability under ``weights`` (None where nothing was retrieved)."""
    return [
        EvidenceSample(
            sample.question_id,
            None if sample.features is None else probability(sample.features, weights),
            sample.answerable,
        )
        for sample in samples
    ]


def judge(samples: Sequence[FeatureSample], weights: Mapping[str, float], threshold: float) -> Judged:
    """How ``weights`` and ``threshold`` do on ``samples``, overall and per question file (in file order)."""
    evidence = scored(samples, weights)
    by_group: dict[str, list[EvidenceSample]] = {}
    for item, sample in zip(evidence, samples, strict=True):
        by_group.setdefault(sample.group, []).append(item)
    return Judged(rates(evidence, threshold), {group: rates(items, threshold) for group, items in by_group.items()})


def calibrate_weights(
    samples: Sequence[FeatureSample],
    current_weights: Mapping[str, float],
    current_threshold: float,
    regularisation_c: float = REGULARISATION_C,
) -> WeightsCalibration:
    """Fit weights and threshold on each half and judge them on the other, beside the current settings;
    then recommend the weights fitted on every question with the mean of the two folds' thresholds.

    Raises ``ValueError`` as :func:`split_halves` and :func:`fit_logistic` do.
    """
    names = feature_names(samples)
    halves = split_halves(samples)
    folds = []
    for fitted_on, held_out in (HALVES, HALVES[::-1]):
        weights = fit_weights(halves[fitted_on], regularisation_c)
        fitting_scores = scored(halves[fitted_on], weights)
        threshold, interval = fit_threshold(fitting_scores)
        folds.append(
            WeightsFold(
                fitted_on=fitted_on,
                held_out=held_out,
                weights=weights,
                threshold=threshold,
                best_interval=interval,
                fitted=rates(fitting_scores, threshold),
                held_out_rates=judge(halves[held_out], weights, threshold),
                current_rates=judge(halves[held_out], current_weights, current_threshold),
            )
        )
    fold_thresholds = (folds[0].threshold, folds[1].threshold)
    fitted_on_all = fit_weights(samples, regularisation_c)
    weights = {name: round(value, RECOMMENDED_DECIMALS) for name, value in fitted_on_all.items()}
    threshold = round(sum(fold_thresholds) / 2, RECOMMENDED_DECIMALS)
    return WeightsCalibration(
        features=names,
        regularisation_c=regularisation_c,
        samples=tuple(samples),
        folds=(folds[0], folds[1]),
        recommended=Recommendation(
            weights=weights,
            threshold=threshold,
            fold_thresholds=fold_thresholds,
            in_sample=judge(samples, weights, threshold),
            current_in_sample=judge(samples, current_weights, current_threshold),
        ),
        current_weights=dict(current_weights),
        current_threshold=current_threshold,
    )


def settings_lines(weights: Mapping[str, float], threshold: float) -> list[str]:
    """The environment lines (for the shell or .env) that configure these weights and threshold."""
    return [
        f"MINUTES_EVIDENCE_WEIGHTS='{json.dumps(dict(weights))}'",
        f"MINUTES_ABSTAIN_THRESHOLD={threshold:.{RECOMMENDED_DECIMALS}f}",
    ]
