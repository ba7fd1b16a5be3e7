"""Finding passages that say the same thing twice (one item on an issue page and a meeting page)."""

from __future__ import annotations

import hashlib
import re

import faiss
import numpy as np

from .records import Chunk

_SHINGLE_WORDS = 4
# Cosine above which two passages are close enough to compare word by word.
_CANDIDATE_COSINE = 0.9
_NEIGHBOURS = 8


def find_duplicates(chunks: list[Chunk], vectors: np.ndarray, threshold: float) -> dict[str, str]:
    """Map each duplicate chunk id to the id of the earlier chunk it repeats.

    Exact repeats (ignoring white space and case) and near repeats, where at least
    ``threshold`` of the shorter passage's word 4-grams also occur in the other, count.
    The earlier chunk in ``chunks`` order is the one kept.
    """
    canonical: dict[str, str] = {}
    first_with_text: dict[str, int] = {}
    for row, chunk in enumerate(chunks):
        key = hashlib.sha1(_fold(chunk.text).encode("utf-8")).hexdigest()
        if key in first_with_text:
            canonical[chunk.chunk_id] = chunks[first_with_text[key]].chunk_id
        else:
            first_with_text[key] = row
    if len(chunks) < 2:
        return canonical
    shingles = [_shingles(chunk.text) for chunk in chunks]
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    scores, neighbours = index.search(np.ascontiguousarray(vectors, dtype=np.float32), min(_NEIGHBOURS, len(chunks)))
    for row, chunk in enumerate(chunks):
        if chunk.chunk_id in canonical:
            continue
        for score, other in zip(scores[row], neighbours[row]):
            if other < 0 or other >= row or score < _CANDIDATE_COSINE:
                continue
            if _containment(shingles[row], shingles[other]) >= threshold:
                earlier = chunks[other].chunk_id
                canonical[chunk.chunk_id] = canonical.get(earlier, earlier)
                break
    return canonical


def _fold(text: str) -> str:
    return " ".join(text.lower().split())


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    if len(words) < _SHINGLE_WORDS:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + _SHINGLE_WORDS]) for i in range(len(words) - _SHINGLE_WORDS + 1)}


def _containment(a: set, b: set) -> float:
    smaller = min(len(a), len(b))
    return len(a & b) / smaller if smaller else 0.0
