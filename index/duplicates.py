"""Finding passages that say the same thing twice (one item on an issue page and a meeting page)."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import faiss
import numpy as np

from .records import Chunk
from .vector_index import build_vector_index

_SHINGLE_WORDS = 4
# Nearest passages by cosine compared word by word. No cosine bar: the same minutes republished
# under another page title are chunked at other offsets and embedded under another header, so
# even true repeats can score only ~0.82; the word comparison decides.
_NEIGHBOURS = 8
# Neighbours are found by the index kind the store would pick for this many passages (exact below
# 200,000), so the pass stays near-linear at a million passages: an exact all-pairs search there
# is ~10^12 dot products. IVF-PQ's codes are not needed (every vector is in memory already), so IVF
# stands in for it; a repeat sits so close to its original (cosine >= ~0.8) that few lists, and
# lists from a short k-means, suffice (training with FAISS's 25 rounds took half the pass).
_DUPLICATE_NPROBE = 16
_DUPLICATE_KMEANS_ROUNDS = 4
# Queries searched at a time: bounds FAISS's result buffers whatever the corpus size.
_QUERY_BLOCK = 65_536
# Passages' word 4-grams are made when compared and only the most recent kept (~10 kB each, hashed):
# held for every passage they would take over 10 GB at a million passages.
_SHINGLES_REMEMBERED = 32_768


def find_duplicates(chunks: list[Chunk], vectors: np.ndarray, threshold: float, index_type: str = "flat") -> dict[str, str]:
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
    shingles = lru_cache(maxsize=_SHINGLES_REMEMBERED)(lambda row: _shingles(chunks[row].text))
    row_of = {(chunk.doc_id, chunk.ordinal): row for row, chunk in enumerate(chunks)}
    neighbours = nearest_neighbours(vectors, min(_NEIGHBOURS, len(chunks)), index_type)
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
            if _containment(shingles(row), set().union(*(shingles(near) for near in window))) >= threshold:
                repeated = max(window, key=lambda near: (len(shingles(row) & shingles(near)), near == other))
                earlier = chunks[repeated].chunk_id
                canonical[chunk.chunk_id] = canonical.get(earlier, earlier)
                break
    return canonical


def nearest_neighbours(vectors: np.ndarray, k: int, index_type: str) -> np.ndarray:
    """Each vector's ``k`` nearest rows (itself among them), by an index of ``index_type`` (IVF for
    IVF-PQ; IVF lists from a short k-means, :data:`_DUPLICATE_NPROBE` of them visited); -1 pads rows
    with fewer neighbours."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    index = build_vector_index(vectors, "ivf" if index_type == "ivfpq" else index_type, _DUPLICATE_KMEANS_ROUNDS)
    if isinstance(index, faiss.IndexIVF):
        index.nprobe = min(index.nlist, _DUPLICATE_NPROBE)
    neighbours = np.empty((len(vectors), k), dtype=np.int64)
    for first in range(0, len(vectors), _QUERY_BLOCK):
        _, neighbours[first : first + _QUERY_BLOCK] = index.search(vectors[first : first + _QUERY_BLOCK], k)
    return neighbours


def _fold(text: str) -> str:
    return " ".join(text.lower().split())


def _shingles(text: str) -> set[int]:
    """The text's word 4-grams, each as its hash: a tuple of four strings takes ~300 bytes, a hash 32."""
    words = re.findall(r"\w+", text.lower())
    if len(words) < _SHINGLE_WORDS:
        return {hash(tuple(words))} if words else set()
    return {hash(tuple(words[i : i + _SHINGLE_WORDS])) for i in range(len(words) - _SHINGLE_WORDS + 1)}


def _containment(a: set, b: set) -> float:
    smaller = min(len(a), len(b))
    return len(a & b) / smaller if smaller else 0.0
