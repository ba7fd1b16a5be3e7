"""The FAISS side of the store: which index kind to build, building it, persisting it."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from minutes.settings import Settings


def choose_index_type(passage_count: int, settings: Settings) -> str:
    """The FAISS index kind for ``passage_count`` vectors: the configured one, or by size for 'auto'."""
    if settings.index_type != "auto":
        return settings.index_type
    return "hnsw" if passage_count >= settings.hnsw_min_passages else "flat"


def build_vector_index(vectors: np.ndarray, index_type: str) -> faiss.Index:
    """An inner-product index over unit ``vectors`` (so scores are cosine similarities)."""
    dimension = vectors.shape[1]
    if index_type == "flat":
        index = faiss.IndexFlatIP(dimension)
    elif index_type == "hnsw":
        index = faiss.IndexHNSWFlat(dimension, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 64
    else:
        raise ValueError(f"Unknown index type '{index_type}': use flat or hnsw.")
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def save_vector_index(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load_vector_index(path: Path) -> faiss.Index:
    """Read an index written by :func:`save_vector_index`, memory-mapped where FAISS allows."""
    return faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
