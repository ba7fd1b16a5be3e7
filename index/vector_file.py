"""A generation's passage vectors (``vectors.npy``), read by row with ``preadv``, never memory-mapped.

A query reads a few hundred rows, a filtered one up to all of them. Memory-mapped, each row
touched mapped a whole page-cache folio into the process (Linux 6.x with large folios on ext4:
~1.5 MB per row), so after a few dozen queries at a million passages, or one filtered query, the
process's RSS carried the whole 1.5 GB file. Read into arrays, the rows stay in the kernel's page
cache, outside the process, and advising random access stops read-ahead around each row.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

# A window is 24 MB of 384-dimension vectors. Reading all of it costs about as much as ~1,000
# separate row reads (measured: 0.5 s for 1.5 GB in windows, ~7 µs per small read).
_WINDOW_ROWS = 16_384
_DENSE_ROWS = 1_000


class VectorFile:
    """The rows of a 2-D, C-ordered ``.npy`` file, read on request. Safe to share between threads."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran_order, dtype = read_header(handle)
            self._offset = handle.tell()
        if fortran_order or len(shape) != 2:
            raise ValueError(f"{path} does not hold a C-ordered matrix of vectors; rebuild the index.")
        self.shape: tuple[int, int] = shape
        self.dtype: np.dtype = dtype
        self._row_bytes = shape[1] * dtype.itemsize
        self._fd = os.open(path, os.O_RDONLY)
        # Readers replaced by a reload are dropped, not closed: the descriptor goes with the object.
        self._closer = weakref.finalize(self, os.close, self._fd)
        if hasattr(os, "posix_fadvise"):  # not on macOS, where read-ahead stays the kernel's choice
            os.posix_fadvise(self._fd, 0, 0, os.POSIX_FADV_RANDOM)

    def __len__(self) -> int:
        return self.shape[0]

    def close(self) -> None:
        """Close the file now rather than when the object is collected; closing twice is harmless."""
        self._closer()

    def __getitem__(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """The vectors at ``rows`` (any order, repeats allowed), shape ``(len(rows), dimension)``."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        if len(rows) and not (rows.min() >= 0 and rows.max() < len(self)):
            raise IndexError(f"vector rows must be within 0..{len(self) - 1}")
        unique, inverse = np.unique(rows, return_inverse=True)
        vectors = np.empty((len(unique), self.shape[1]), dtype=self.dtype)
        stretch = None
        for first, end in _spans(unique):
            low, high = int(unique[first]), int(unique[end - 1]) + 1
            if high - low == end - first:  # consecutive rows: read straight into place
                self._read_into(vectors[first:end], low)
                continue
            if stretch is None:
                stretch = np.empty((_WINDOW_ROWS, self.shape[1]), dtype=self.dtype)
            self._read_into(stretch[: high - low], low)
            np.take(stretch[: high - low], unique[first:end] - low, axis=0, out=vectors[first:end], mode="clip")
        # Rows asked for in ascending order without repeats (a filtered scan's) need no reordering.
        return vectors if len(unique) == len(rows) and np.array_equal(unique, rows) else vectors[inverse]

    def _read_into(self, target: np.ndarray, row: int) -> None:
        """Fill ``target`` with the vectors from ``row`` on."""
        read = os.preadv(self._fd, [target.data.cast("B")], self._offset + row * self._row_bytes)
        if read != target.nbytes:
            raise OSError(f"vectors.npy ends before row {row + len(target) - 1}: the index is damaged; rebuild it.")


def _spans(rows: np.ndarray) -> Iterator[tuple[int, int]]:
    """Ranges of the sorted, distinct ``rows`` to read in one call each.

    Rows are taken a window of the file at a time: the whole stretch of a window from its first
    wanted row to its last when many of its rows are wanted (a filtered scan: a few large reads),
    otherwise each run of consecutive rows (a query's candidates: a few small reads).
    """
    window_starts = np.flatnonzero(np.diff(rows // _WINDOW_ROWS, prepend=-1))
    # Not strict: with no rows there are no windows, while the list of ends still holds len(rows).
    for first, end in zip(window_starts.tolist(), [*window_starts[1:].tolist(), len(rows)], strict=False):
        if end - first >= _DENSE_ROWS:
            yield first, end
            continue
        run_starts = first + np.flatnonzero(np.diff(rows[first:end], prepend=-2) != 1)
        yield from zip(run_starts.tolist(), [*run_starts[1:].tolist(), end], strict=True)
