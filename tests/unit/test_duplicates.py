"""Duplicate detection on its own: exact and near repeats, found alike by the exact neighbour
search and by the IVF search that large corpora use."""

from __future__ import annotations

import numpy as np
import pytest

from minutes_qa.index.duplicates import find_duplicates, nearest_neighbours
from minutes_qa.index.records import Chunk

WORDS = [f"word{number}" for number in range(500)]


def corpus(count: int, repeats: int, seed: int = 7) -> tuple[list[Chunk], np.ndarray, dict[str, str]]:
    """``count`` passages of random words with random vectors, three per document; ``repeats`` later
    ones copy an earlier passage with one word changed and a vector near the original's."""
    rng = np.random.default_rng(seed)
    texts = [" ".join(rng.choice(WORDS, size=60)) for _ in range(count)]
    vectors = rng.standard_normal((count, 32)).astype(np.float32)
    expected: dict[int, int] = {}
    for row in rng.choice(np.arange(count // 2, count), size=repeats, replace=False):
        original = int(rng.integers(count // 2))
        words = texts[original].split()
        words[int(rng.integers(len(words)))] = "changed"
        texts[row] = " ".join(words)
        vectors[row] = vectors[original] + rng.standard_normal(32).astype(np.float32) * 0.05
        expected[int(row)] = original
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chunks = [
        Chunk(chunk_id=f"doc{row // 3}:{row % 3:04d}", doc_id=f"doc{row // 3}", ordinal=row % 3, start=0,
              end=len(text), text=text, heading="")
        for row, text in enumerate(texts)
    ]
    return chunks, vectors, {chunks[row].chunk_id: chunks[original].chunk_id for row, original in expected.items()}


def test_near_repeats_are_found_by_exact_and_ivf_search_alike() -> None:
    chunks, vectors, expected = corpus(4000, repeats=60)
    exact = find_duplicates(chunks, vectors, threshold=0.9, index_type="flat")
    assert exact == expected
    assert find_duplicates(chunks, vectors, threshold=0.9, index_type="ivf") == exact
    # IVF-PQ indexes are served from codes, but duplicates are looked for with full vectors (IVF).
    assert find_duplicates(chunks, vectors, threshold=0.9, index_type="ivfpq") == exact


def test_exact_repeats_need_no_neighbour() -> None:
    chunks, vectors, _ = corpus(10, repeats=0)
    copy = Chunk(chunk_id="late:0000", doc_id="late", ordinal=0, start=0, end=1, text=f"  {chunks[2].text.upper()} ",
                 heading="")
    far = -vectors[2]  # the exact repeat is found by its folded text, whatever its vector
    found = find_duplicates([*chunks, copy], np.vstack([vectors, far[None, :]]), threshold=0.9)
    assert found == {"late:0000": chunks[2].chunk_id}


@pytest.mark.parametrize("index_type", ["flat", "ivf"])
def test_neighbours_are_searched_a_block_at_a_time(index_type: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _, vectors, _ = corpus(3000, repeats=0)
    whole = nearest_neighbours(vectors, 4, index_type)
    monkeypatch.setattr("minutes_qa.index.duplicates._QUERY_BLOCK", 700)
    assert np.array_equal(nearest_neighbours(vectors, 4, index_type), whole)
    assert (whole[:, 0] == np.arange(len(vectors))).mean() > 0.99  # each vector is its own nearest
