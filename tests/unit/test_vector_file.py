"""Reading vectors by row: the same values np.load gives, in any order, from small and large files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from minutes_qa.index.vector_file import VectorFile


@pytest.mark.parametrize("pattern", ["scattered", "most", "all", "descending"])
def test_large_requests_read_whole_windows_correctly(tmp_path: Path, pattern: str) -> None:
    """40,000 rows span three read windows; a filtered scan asks for most rows of each."""
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((40_000, 8)).astype(np.float32)
    np.save(tmp_path / "vectors.npy", matrix)
    rows = {
        "scattered": rng.integers(0, len(matrix), 500),
        "most": np.flatnonzero(rng.random(len(matrix)) < 0.7),
        "all": np.arange(len(matrix)),
        "descending": np.arange(len(matrix))[::-3],
    }[pattern]
    vectors = VectorFile(tmp_path / "vectors.npy")
    assert np.array_equal(vectors[rows], matrix[rows])
    vectors.close()


@pytest.mark.parametrize("row", [-1, 40])
def test_rows_outside_the_file_are_refused(tmp_path: Path, row: int) -> None:
    np.save(tmp_path / "vectors.npy", np.zeros((40, 4), dtype=np.float32))
    with pytest.raises(IndexError, match="within 0..39"):
        VectorFile(tmp_path / "vectors.npy")[[0, row]]
