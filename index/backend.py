"""The seam between the read and write paths and where an index is kept.

Two stores implement it: the embedded default (FAISS + bm25s + SQLite in generation folders,
:mod:`index.faiss_store`) and an existing distributed vector engine (Milvus,
:mod:`index.milvus_store`). ``MINUTES_STORE`` chooses (see :func:`open_store`):

- ``faiss`` (default): the index directory holds everything.
- ``milvus://HOST:PORT`` or ``milvus://HOST:PORT/NAME``: a Milvus server or cluster; ``NAME``
  (default ``minutes``) prefixes every collection, so several indexes can share one cluster.
- ``milvus-lite`` or ``milvus-lite:PATH``: Milvus's embedded mode, in ``PATH`` or, without one,
  in ``milvus.db`` inside the index directory. For tests and trials; one process at a time.

Both stores keep rows as consecutive integers (a chunk's row is its vector's row), so everything
above the store ranks, joins and de-duplicates by row the same way whatever holds the index.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from minutes_qa.contract import Filters

from .chunk_table import ChunkColumns
from .errors import WritePathError
from .records import Document

if TYPE_CHECKING:  # the store module itself needs this one's query types
    from .store import IndexContents, Manifest


class StoreSettingError(WritePathError):
    """``MINUTES_STORE`` names no store this version knows."""


@dataclass(frozen=True)
class CandidateQuery:
    """What retrieval asks of a store: each retriever's best rows under the filters.

    ``query_vector`` is None when dense retrieval is off, ``tokens`` None when keyword retrieval is
    off. ``filters`` are strict; ``since``/``until`` (dates read from the question) are lenient:
    they only exclude meetings known to be outside them, and only when something is left.
    """

    query_vector: np.ndarray | None
    tokens: list[str] | None
    filters: Filters | None
    since: date | None
    until: date | None
    limit: int


@dataclass(frozen=True)
class Candidates:
    """Rows found by either retriever, with both retrievers' scores for every one of them
    (0 where a retriever is off or does not match the row)."""

    rows: np.ndarray
    dense: np.ndarray
    keyword: np.ndarray


class RowVectors(Protocol):
    """Passage vectors by row: ``vectors[rows]`` is a (len(rows), dimension) float array."""

    def __getitem__(self, rows: Sequence[int] | np.ndarray) -> np.ndarray: ...


class SentenceLookup(Protocol):
    """A generation's stored answer sentences (see :mod:`index.sentence_store`)."""

    def span_similarities(self, spans: Sequence[tuple[str, int, int]], query_vector: np.ndarray) -> np.ndarray: ...


class StoreReader(Protocol):
    """One generation, opened for reading: what the read path (``rag``, ``server``) uses of a store.

    Its data members are read-only properties here, so that each store may hold a more specific
    kind (the embedded store's chunk table, memory-mapped vectors, sentence files).
    """

    @property
    def manifest(self) -> Manifest: ...

    @property
    def key(self) -> str:
        """Identifies the generation: equal to :meth:`Store.live` while this generation is live."""
        ...

    @property
    def documents(self) -> dict[str, Document]:
        """Every document's metadata (text omitted), by id."""
        ...

    @property
    def chunks(self) -> ChunkColumns: ...

    @property
    def vectors(self) -> RowVectors: ...

    @property
    def sentences(self) -> SentenceLookup | None:
        """None for a generation written before sentence vectors were stored."""
        ...

    def candidates(self, query: CandidateQuery) -> Candidates:
        """Dense and keyword candidates (``query.limit`` each), filters executed by the store."""
        ...

    def term_weights(self) -> dict[str, float]:
        """The keyword index's idf of every indexed token."""
        ...

    def document_text(self, doc_id: str) -> str:
        """The stored text of ``doc_id``; KeyError if unknown."""
        ...

    def document(self, doc_id: str) -> Document:
        """The whole document, text included; KeyError if unknown."""
        ...

    def close(self) -> None: ...


class Store(Protocol):
    """Where an index lives: generations written whole and switched to atomically."""

    @property
    def location(self) -> str:
        """Where, for messages ("the index at ...")."""
        ...

    def writer_lock(self) -> AbstractContextManager[None]:
        """Held for a whole ingest: one writer at a time."""
        ...

    def live(self) -> str | None:
        """The live generation's key, or None if nothing was ingested yet. Cheap: called often."""
        ...

    def live_manifest(self) -> Manifest | None:
        """The live generation's manifest, or None if nothing was ingested yet."""
        ...

    def load_contents(self) -> IndexContents:
        """The whole live generation, for an incremental ingest to carry over."""
        ...

    def write_generation(self, contents: IndexContents, manifest: Manifest) -> str:
        """Write ``contents`` as the next generation and make it live atomically; returns its key.

        Until it returns, the previous generation stays live and whole; what an interrupted call
        left behind is removed by the next one.
        """
        ...

    def open_reader(self) -> StoreReader:
        """The live generation for reading; :class:`IndexNotFound` if there is none."""
        ...


def open_store(index_dir: Path, store: str) -> Store:
    """The store that ``store`` (the ``MINUTES_STORE`` setting) names, for the index at ``index_dir``."""
    # Imported here: each store's client libraries load only when that store is used.
    if store == "faiss":
        from .faiss_store import FaissStore

        return FaissStore(index_dir)
    if store.startswith(("milvus://", "milvus-lite")):
        from .milvus_store import MilvusStore

        return MilvusStore.from_setting(store, index_dir)
    raise StoreSettingError(
        f"MINUTES_STORE={store!r} names no known store. Use 'faiss' (the default: the index directory holds "
        "everything), 'milvus://HOST:PORT' (a Milvus server or cluster; add '/NAME' to choose the collections' "
        "prefix) or 'milvus-lite[:PATH]' (Milvus's embedded mode, for tests)."
    )
