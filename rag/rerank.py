"""Re-ranking the first results by how well their best sentence answers the question (pure logic).

Passage-level scores blur a passage that holds the answer in one sentence with its neighbour
that only shares the topic: both match the question's words and meaning about equally. The
best sentence tells them apart ("quorum" and a number in one sentence, against "quorum" in a
heading), so the fused score of the first results is combined with it.
"""

from __future__ import annotations

from collections.abc import Sequence


def rerank(scores: Sequence[float], supports: Sequence[float], support_weight: float) -> list[tuple[int, float]]:
    """(position, new score) of each result, best first.

    The new score is the result's score relative to the best one, plus ``support_weight``
    times its best sentence's support (0 to 1). Ties keep the original order.
    """
    if len(scores) != len(supports):
        raise ValueError("one support per score")
    top = max(scores, default=0.0)
    scale = top if top > 0 else 1.0
    combined = [score / scale + support_weight * support for score, support in zip(scores, supports, strict=True)]
    return sorted(((position, value) for position, value in enumerate(combined)), key=lambda item: (-item[1], item[0]))
