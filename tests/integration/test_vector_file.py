"""Reading vectors by row from a real index: the same values np.load gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from minutes_qa.index.store import IndexReader, current_generation


def test_rows_of_a_real_index_match_np_load(sample_index: Path) -> None:
    reader = IndexReader.open(sample_index)
    try:
        expected = np.load(current_generation(sample_index) / "vectors.npy")
        rows = [5, 0, 5, len(expected) - 1, 1, 2, 3]
        assert reader.vectors.shape == expected.shape and reader.vectors.dtype == expected.dtype
        assert np.array_equal(reader.vectors[rows], expected[rows])
        assert np.array_equal(reader.vectors[np.arange(len(expected))], expected)
        assert reader.vectors[[]].shape == (0, expected.shape[1])
    finally:
        reader.close()
