"""Which FAISS index is built, and that every kind finds what it holds, before and after saving."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from minutes_qa.index.vector_index import (
    INDEX_TYPES,
    FlatVectors,
    build_vector_index,
    choose_index_type,
    dense_search,
    ivf_list_count,
    ivf_nprobe,
    load_vector_index,
    save_vector_index,
)
from minutes_qa.settings import Settings


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    rows = np.random.default_rng(3).standard_normal((3000, 64)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def indexes(vectors: np.ndarray) -> dict[str, faiss.Index]:
    return {kind: build_vector_index(vectors, kind) for kind in INDEX_TYPES}


def test_auto_picks_by_size() -> None:
    settings = Settings(index_type="auto", ann_min_passages=1000, ivfpq_min_passages=50_000)
    assert choose_index_type(999, settings.index) == "flat"
    assert choose_index_type(1000, settings.index) == "ivf"
    assert choose_index_type(49_999, settings.index) == "ivf"
    assert choose_index_type(50_000, settings.index) == "ivfpq"


@pytest.mark.parametrize("kind", INDEX_TYPES)
def test_an_explicit_kind_is_honoured(kind: str) -> None:
    assert choose_index_type(5000, Settings(index_type=kind).index) == kind
    assert choose_index_type(5_000_000, Settings(index_type=kind).index) == kind


def test_too_few_vectors_to_train_fall_back_to_exact() -> None:
    assert choose_index_type(10, Settings(index_type="ivfpq").index) == "flat"
    with pytest.raises(ValueError, match="at least"):
        build_vector_index(np.eye(10, 16, dtype=np.float32), "ivf")


def test_unknown_kind_is_refused(vectors: np.ndarray) -> None:
    with pytest.raises(ValueError, match="Unknown index type"):
        build_vector_index(vectors, "lsh")


def test_ivf_sizes_follow_the_square_root() -> None:
    assert ivf_list_count(1_000_000) == 4000
    assert ivf_list_count(100) == 2  # limited by training vectors per list
    assert all(1 <= ivf_nprobe(nlist) <= nlist for nlist in (1, 5, 100, 4000))


@pytest.mark.parametrize("kind", INDEX_TYPES)
def test_every_kind_finds_a_stored_vector_first(indexes: dict[str, faiss.Index], vectors: np.ndarray, kind: str) -> None:
    rows = np.arange(0, len(vectors), 61)
    _, found = indexes[kind].search(vectors[rows], 5)
    assert (found[:, 0] == rows).all()


@pytest.mark.parametrize("kind", INDEX_TYPES)
def test_save_and_load_give_the_same_answers(
    indexes: dict[str, faiss.Index], vectors: np.ndarray, kind: str, tmp_path: Path
) -> None:
    path = tmp_path / "vectors.faiss"
    save_vector_index(indexes[kind], path)
    loaded = load_vector_index(path)
    assert loaded.ntotal == len(vectors)
    queries = vectors[:50] + 0.05
    expected_scores, expected_rows = indexes[kind].search(queries, 10)
    scores, rows = loaded.search(queries, 10)
    np.testing.assert_array_equal(rows, expected_rows)
    np.testing.assert_allclose(scores, expected_scores, rtol=1e-5)
    if kind in ("ivf", "ivfpq"):
        ivf = faiss.extract_index_ivf(loaded)
        assert ivf.nprobe == ivf_nprobe(ivf.nlist) > 1
    if kind == "hnsw":
        assert loaded.hnsw.efSearch == indexes[kind].hnsw.efSearch


def exact(vectors: np.ndarray, query: np.ndarray):
    """What the reader re-scores IVF-PQ's candidates with: inner products of the stored rows."""
    return lambda rows: vectors[rows] @ query


@pytest.mark.parametrize("kind", INDEX_TYPES)
def test_every_kind_finds_what_faiss_finds(indexes: dict[str, faiss.Index], vectors: np.ndarray, kind: str) -> None:
    """Unfiltered, each kind's rows are its own search's: IVF-PQ's re-check by row gives FAISS's re-check."""
    queries = vectors[:40] + 0.05
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    _, expected = indexes[kind].search(queries, 10)
    for query, rows in zip(queries, expected, strict=True):
        found = dense_search(indexes[kind], query, 10, exact(vectors, query))
        assert found is not None and found.tolist() == rows[rows >= 0].tolist()


@pytest.mark.parametrize("kind", ["ivf", "ivfpq"])
def test_ivf_kinds_search_only_the_allowed_rows(indexes: dict[str, faiss.Index], vectors: np.ndarray, kind: str) -> None:
    allowed = np.random.default_rng(5).random(len(vectors)) < 0.5
    for row in np.flatnonzero(allowed)[:20]:
        found = dense_search(indexes[kind], vectors[row], 10, exact(vectors, vectors[row]), allowed)
        assert found is not None and len(found) > 0
        assert allowed[found].all()
        assert found[0] == row  # a stored, allowed vector is its own nearest
    disallowed = int(np.flatnonzero(~allowed)[0])
    found = dense_search(indexes[kind], vectors[disallowed], 10, exact(vectors, vectors[disallowed]), allowed)
    assert found is not None and disallowed not in found


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_other_kinds_leave_filtering_to_the_caller(indexes: dict[str, faiss.Index], vectors: np.ndarray, kind: str) -> None:
    assert dense_search(indexes[kind], vectors[0], 10, exact(vectors, vectors[0]), np.ones(len(vectors), dtype=bool)) is None


def test_a_loaded_flat_index_serves_its_vectors_by_row(tmp_path: Path, vectors: np.ndarray) -> None:
    """Rows read from the memory-mapped flat index are the vectors stored, in the order asked, repeats
    included; other kinds leave reading rows to vectors.npy."""
    save_vector_index(build_vector_index(vectors, "flat"), tmp_path / "flat.faiss")
    stored = FlatVectors.of(load_vector_index(tmp_path / "flat.faiss"))
    assert stored is not None
    rows = [5, 0, 5, len(vectors) - 1, 2]
    assert stored.shape == vectors.shape and stored.dtype == vectors.dtype
    assert np.array_equal(stored[rows], vectors[rows])
    assert stored[[]].shape == (0, vectors.shape[1])
    with pytest.raises(IndexError, match=f"within 0..{len(vectors) - 1}"):
        stored[[0, -1]]
    assert FlatVectors.of(build_vector_index(vectors, "ivf")) is None
