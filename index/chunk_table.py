"""The chunk rows of an open generation: a few numpy columns in memory, whole chunks from SQLite.

Ranking needs only where each chunk lies (its document, ordinal and span) and which chunk it
repeats; a Python object per chunk, text included, cost ~0.4 GB per 100k passages. So those
integers are held as numpy columns (28 bytes a row) and the rest of a chunk (text, heading,
embedded text, ids) is read from the store, by primary key, only for the rows being shown.
"""

from __future__ import annotations

import operator
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import numpy as np

from .records import Chunk

# Rows per ``IN (...)`` query: below SQLite's smallest host-parameter limit (999).
_BATCH = 500
_COLUMNS = np.dtype([
    ("document", np.int32), ("ordinal", np.int32), ("start", np.int64), ("end", np.int64), ("canonical", np.int32),
])


class ChunkPosition(NamedTuple):
    """One row of the table's columns, as Python ints: cheap to compare many times over."""

    document: int
    ordinal: int
    start: int
    end: int
    canonical: int


class ChunkColumns(ABC):
    """Every chunk of one generation, addressed by row (the row of its vector): the columns
    ranking needs in memory, whole chunks read from wherever the store keeps them.

    Columns, indexed by row: ``document`` (position of the chunk's document in ``doc_ids``),
    ``ordinal``, ``start``, ``end`` (its span of the document text) and ``canonical`` (the row
    of the chunk it duplicates, or its own row); :meth:`positions` reads them for a few rows.
    ``table[row]`` and :meth:`fetch` read whole chunks; iterating reads them all, in row order,
    a batch at a time.
    """

    doc_ids: tuple[str, ...]
    document: np.ndarray
    ordinal: np.ndarray
    start: np.ndarray
    end: np.ndarray
    canonical: np.ndarray

    def __len__(self) -> int:
        return len(self.ordinal)

    def __getitem__(self, row: int) -> Chunk:
        return self.fetch([row])[0]

    def __iter__(self) -> Iterator[Chunk]:
        # A batch at a time, releasing the lock in between, so that a loop over the table may
        # itself read from the reader.
        for first in range(0, len(self), _BATCH):
            yield from self.fetch(range(first, min(first + _BATCH, len(self))))

    def positions(self, rows: Iterable[int]) -> dict[int, ChunkPosition]:
        """The columns at ``rows``, by row."""
        wanted = np.fromiter(rows, dtype=np.int64)
        columns = (self.document, self.ordinal, self.start, self.end, self.canonical)
        values = zip(*(column[wanted].tolist() for column in columns), strict=True)
        return dict(zip(wanted.tolist(), map(ChunkPosition._make, values), strict=True))

    @abstractmethod
    def fetch(self, rows: Iterable[int]) -> list[Chunk]:
        """The chunks at ``rows``, in that order (repeats allowed). Raises IndexError for a row out of range."""

    def _checked(self, row: int) -> int:
        # Stores cannot bind numpy integers, and a negative row is a caller's mistake here.
        row = operator.index(row)
        if not 0 <= row < len(self):
            raise IndexError(f"chunk row {row} is outside this index's {len(self)} rows")
        return row


class ChunkTable(ChunkColumns):
    """The chunk columns of a generation folder, whole chunks from its SQLite store.

    ``doc_ids`` are every document's id in rowid order (the owning reader's, shared rather than
    read again: at a million passages they are ~360k strings). ``lock`` serialises use of
    ``connection``, which the owning reader shares with other reads.
    """

    def __init__(self, connection: sqlite3.Connection, lock: threading.Lock, doc_ids: tuple[str, ...]) -> None:
        self._db = connection
        self._lock = lock
        self.doc_ids = doc_ids
        with lock:
            cursor = connection.cursor()
            cursor.row_factory = None  # plain tuples, as numpy reads them
            rowids = np.fromiter((rowid for (rowid,) in cursor.execute("SELECT rowid FROM documents ORDER BY rowid")), np.int64)
            count = cursor.execute("SELECT count(*) FROM chunks").fetchone()[0]
            # Every column comes from an index (see _SCHEMA in store.py): a chunk's document as its
            # rowid through the documents' key, its original through the unique chunk ids. So
            # loading a million rows reads no chunk text and keeps no Python object per row.
            records = cursor.execute(
                'SELECT d.rowid, c.ordinal, c.start, c."end", coalesce(original.row, c.row) FROM chunks c '
                "JOIN documents d ON d.doc_id = c.doc_id "
                "LEFT JOIN chunks original ON original.chunk_id = c.duplicate_of ORDER BY c.row"
            )
            packed = np.fromiter(records, dtype=_COLUMNS, count=count)
        if len(rowids) != len(doc_ids):
            raise ValueError(f"{len(doc_ids)} document ids given for {len(rowids)} stored documents")
        self.document: np.ndarray = np.searchsorted(rowids, packed["document"]).astype(np.int32)
        self.ordinal: np.ndarray = np.ascontiguousarray(packed["ordinal"])
        self.start: np.ndarray = np.ascontiguousarray(packed["start"])
        self.end: np.ndarray = np.ascontiguousarray(packed["end"])
        self.canonical: np.ndarray = np.ascontiguousarray(packed["canonical"])

    def fetch(self, rows: Iterable[int]) -> list[Chunk]:
        """The chunks at ``rows``, in that order (repeats allowed). Raises IndexError for a row out of range."""
        wanted = [self._checked(row) for row in rows]
        unique = list(dict.fromkeys(wanted))
        found: dict[int, Chunk] = {}
        with self._lock:
            for first in range(0, len(unique), _BATCH):
                batch = unique[first : first + _BATCH]
                query = f"SELECT * FROM chunks WHERE row IN ({','.join('?' * len(batch))})"
                found.update((record["row"], chunk_from_record(record)) for record in self._db.execute(query, batch))
        return [found[row] for row in wanted]


def chunk_from_record(record: sqlite3.Row) -> Chunk:
    """A :class:`Chunk` from a full row of the ``chunks`` table."""
    return Chunk(
        chunk_id=record["chunk_id"], doc_id=record["doc_id"], ordinal=record["ordinal"], start=record["start"],
        end=record["end"], text=record["text"], heading=record["heading"], page=record["page"],
        embed_text=record["embed_text"], duplicate_of=record["duplicate_of"],
    )
