"""Finding passages that say the same thing twice (one item on an issue page and a meeting page)."""

from __future__ import annotations

import hashlib
import re

import faiss
import numpy as np

from .records import Chunk

_SHINGLE_WORDS = 4
# Nearest passages by cosine compared word by word. No cosine bar: the same minutes republished
# under another page title are chunked at other offsets and embedded under another header, so
# even true repeats can score only ~0.82; the word comparison decides.
_NEIGHBOURS = 8


def find_duplicates(chunks: list[Chunk], vectors: np.ndarray, threshold: float) -> dict[str, str]:
    """Map each duplicate chunk id to the id of the earlier chunk it repeats.

    Exact repeats (ignoring white space and case) and near repeats count. A near repeat has at
    least ``threshold`` of its word 4-grams (or of the other side's, if that is smaller) in an
    earlier chunk together with that chunk's neighbours in its document: a republished copy is cut
    at other places, so one of its chunks may straddle two of the original's. It then repeats the
    chunk it shares most with. The earlier chunk in ``chunks`` order is the one kept.
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
    row_of = {(chunk.doc_id, chunk.ordinal): row for row, chunk in enumerate(chunks)}
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    _, neighbours = index.search(np.ascontiguousarray(vectors, dtype=np.float32), min(_NEIGHBOURS, len(chunks)))
    for row, chunk in enumerate(chunks):
        if chunk.chunk_id in canonical:
            continue
        for other in neighbours[row]:
            if other < 0 or other >= row:
                continue
            window = [
                near
                for ordinal in (chunks[other].ordinal - 1, chunks[other].ordinal, chunks[other].ordinal + 1)
                if (near := row_of.get((chunks[other].doc_id, ordinal))) is not None and near < row
            ]
            if _containment(shingles[row], set().union(*(shingles[near] for near in window))) >= threshold:
                repeated = max(window, key=lambda near: (len(shingles[row] & shingles[near]), near == other))
                earlier = chunks[repeated].chunk_id
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
