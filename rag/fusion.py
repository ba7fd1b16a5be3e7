"""Combining ranked lists from several retrievers into one ranking (pure functions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def reciprocal_rank_fusion(rankings: Sequence[Sequence[int]], k: int = 60) -> dict[int, float]:
    """RRF: each item scores sum(1 / (k + rank)) over the rankings it appears in (rank from 1)."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused


def weighted_score_fusion(score_maps: Sequence[Mapping[int, float]], weights: Sequence[float]) -> dict[int, float]:
    """Convex combination of min-max normalised scores; an item absent from a list scores 0 there.

    Normalising per list puts cosine similarities and BM25 scores on one scale, while keeping
    how far apart the items are, which RRF throws away.
    """
    if len(score_maps) != len(weights):
        raise ValueError("one weight per score map")
    fused: dict[int, float] = {}
    for scores, weight in zip(score_maps, weights, strict=True):
        for item, value in min_max_normalise(scores).items():
            fused[item] = fused.get(item, 0.0) + weight * value
    for scores in score_maps:
        for item in scores:
            fused.setdefault(item, 0.0)
    return fused


def min_max_normalise(scores: Mapping[int, float]) -> dict[int, float]:
    """Scale to [0, 1]; a list whose scores are all equal maps to 1 if positive, else 0."""
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high == low:
        return {item: (1.0 if high > 0 else 0.0) for item in scores}
    return {item: (value - low) / (high - low) for item, value in scores.items()}


def ranked(scores: Mapping[int, float]) -> list[int]:
    """Items by descending score, ties broken by item id for determinism."""
    return sorted(scores, key=lambda item: (-scores[item], item))
