"""The on-disk index: generations written whole, switched atomically.

Layout of an index directory::

    CURRENT                 name of the live generation (replaced atomically)
    gen-000007/
        manifest.json       format, model, backend, dimension, chunker settings, counts
        store.sqlite        documents, chunks, metadata
        vectors.npy         float32 unit vectors, row i = chunk row i (read by row)
        vectors.faiss       FAISS index over those vectors
        bm25/               bm25s keyword index over the same rows
        sentences.npy, sentence_offsets.npy, sentence_vectors.npy
                            every passage's sentences and their float16 vectors (see sentence_store)

An ingest writes a complete new generation beside the live one and only then replaces
``CURRENT``: a crash or Ctrl-C at any point leaves the previous generation untouched and
live, and readers holding the old generation keep working until they reopen.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from .backend import CandidateQuery, Candidates
from .chunk_table import ChunkTable, chunk_from_record
from .errors import IndexBusy, IndexMismatch, IndexNotFound
from .faiss_search import FaissSearch
from .keywords import keyword_tokens
from .pause_hook import pause_at
from .records import Chunk, Document, DocumentMetadata, PageSpan
from .sentence_store import VECTOR_DTYPE, DocumentSentences, SentenceStore, load_sentences, write_sentences
from .vector_file import VectorFile
from .vector_index import FlatVectors, build_vector_index, load_vector_index, save_vector_index

FORMAT_VERSION = 1
log = logging.getLogger("minutes.index")
_CURRENT = "CURRENT"
_LOCK = ".writer.lock"
_GENERATION_PREFIX = "gen-"

_SCHEMA = """
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY, file TEXT NOT NULL, path TEXT NOT NULL, content_hash TEXT NOT NULL,
    text TEXT NOT NULL, council TEXT, committee TEXT, meeting_date TEXT, item_number TEXT,
    title TEXT, url TEXT, pages TEXT NOT NULL
);
CREATE TABLE chunks (
    row INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, doc_id TEXT NOT NULL REFERENCES documents,
    ordinal INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL,
    heading TEXT NOT NULL, page INTEGER, embed_text TEXT NOT NULL, duplicate_of TEXT
);
CREATE INDEX chunks_doc ON chunks(doc_id);
CREATE INDEX documents_file ON documents(file);
CREATE INDEX chunks_columns ON chunks(row, doc_id, ordinal, start, "end", duplicate_of);
"""
# ``chunks_columns`` covers what ChunkTable loads at open, so that opening reads a small index
# instead of every chunk's text (1M passages: 77 MB instead of 2.6 GB). Generations written
# before it existed still open, by scanning the table.

# Everything of a document but its text, which the reader fetches on demand.
_DOCUMENT_METADATA = "doc_id, file, path, content_hash, council, committee, meeting_date, item_number, title, url, pages"


@dataclass(frozen=True)
class Manifest:
    """What an index was built with; an index is never queried with anything else."""

    format_version: int
    model: str
    backend: str
    dimension: int
    max_tokens: int
    chunker_version: int
    chunk_max_tokens: int
    chunk_overlap_sentences: int
    index_type: str
    documents: int = 0
    chunks: int = 0
    duplicates: int = 0
    generation: int = 0
    built_at: str = ""
    # The dtype of the stored sentence vectors; "" in generations written before they were stored
    # (format 1 still: such a generation is read as before, embedding sentences per question).
    sentence_vectors: str = ""
    sentences: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def check_compatible(self, other: Manifest, index_dir: Path | str) -> None:
        """Raise :class:`IndexMismatch` if vectors or chunks of ``self`` cannot mix with ``other``."""
        for name in ("format_version", "model", "backend", "dimension", "chunker_version",
                     "chunk_max_tokens", "chunk_overlap_sentences"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine != theirs:
                raise IndexMismatch(_mismatch_message(name, mine, theirs, index_dir))


# Manifest fields a setting chooses, with the environment variable of that setting (minutes/settings.py).
SETTING_OF_FIELD = {
    "model": "MINUTES_MODEL",
    "backend": "MINUTES_EMBED_BACKEND",
    "chunk_max_tokens": "MINUTES_CHUNK_MAX_TOKENS",
    "chunk_overlap_sentences": "MINUTES_CHUNK_OVERLAP_SENTENCES",
}


def _mismatch_message(name: str, mine: Any, theirs: Any, index_dir: Path | str) -> str:
    """What an officer does when an index cannot take passages made now: set the setting it was built
    with, or (where no setting chooses it) build a fresh index."""
    rebuild = (
        f"Build a new index from the same minutes in another directory (--index NEW_DIR) and use that from "
        f"then on, or delete {index_dir} and ingest again."
    )
    if name in SETTING_OF_FIELD:
        return (
            f"The index at {index_dir} was built with {name}={theirs!r}, but the current settings ask for "
            f"{mine!r}. Use another --index directory, or set {SETTING_OF_FIELD[name]}={theirs} to use this one."
        )
    if name == "chunker_version":
        return (
            f"The index at {index_dir} was built by another version of minutes-qa, which cuts minutes into "
            f"passages differently (chunker_version={theirs!r}; this version writes {mine!r}), so passages of "
            f"new and old files cannot be mixed in it. {rebuild} Until then it can still be searched as it is."
        )
    return (
        f"The index at {index_dir} was built with {name}={theirs!r}, but an index written now has {mine!r}; "
        f"no setting changes that. {rebuild}"
    )


@dataclass
class IndexContents:
    """Everything a generation holds, in memory: what the writer writes and incremental ingest reuses."""

    documents: list[Document]
    chunks: list[Chunk]
    vectors: np.ndarray
    # By doc_id: every document's or none (a generation is then written without sentence vectors).
    sentences: dict[str, DocumentSentences] = field(default_factory=dict)


@contextmanager
def writer_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index's writer lock: one ingest at a time, across processes."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / _LOCK, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusy(
                f"Another ingest is writing to {index_dir} right now. Wait for it to finish, then run this again."
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def current_generation(index_dir: Path) -> Path | None:
    """The live generation directory, or None if the index does not exist yet."""
    pointer = index_dir / _CURRENT
    if not pointer.exists():
        return None
    generation = index_dir / pointer.read_text(encoding="utf-8").strip()
    if not (generation / "manifest.json").exists():
        raise IndexNotFound(f"{pointer} names {generation.name}, which is missing or incomplete.")
    return generation


def read_manifest(generation: Path) -> Manifest:
    return Manifest(**json.loads((generation / "manifest.json").read_text(encoding="utf-8")))


def write_generation(index_dir: Path, contents: IndexContents, manifest: Manifest) -> Path:
    """Write ``contents`` as the next generation and make it live atomically; returns its path."""
    index_dir.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(index_dir)
    previous = current_generation(index_dir)
    number = (read_manifest(previous).generation + 1) if previous else 1
    manifest = with_counts(manifest, contents, number)
    staging = Path(tempfile.mkdtemp(prefix=f".staging-{number:06d}-", dir=index_dir))
    _write_sqlite(staging / "store.sqlite", contents)
    pause_at("writing")  # a no-op unless a test sets MINUTES_TEST_PAUSE_AT (see pause_hook)
    np.save(staging / "vectors.npy", contents.vectors.astype(np.float32, copy=False))
    save_vector_index(build_vector_index(contents.vectors, manifest.index_type), staging / "vectors.faiss")
    _write_bm25(staging / "bm25", contents.chunks)
    if contents.sentences:
        count = write_sentences(
            staging, [doc.doc_id for doc in contents.documents], contents.sentences, contents.vectors.shape[1]
        )
        manifest = replace(manifest, sentence_vectors=VECTOR_DTYPE, sentences=count)
    else:
        manifest = replace(manifest, sentence_vectors="", sentences=0)
    (staging / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2), encoding="utf-8")
    _fsync_tree(staging)
    final = index_dir / f"{_GENERATION_PREFIX}{number:06d}"
    os.replace(staging, final)
    _atomic_write(index_dir / _CURRENT, final.name)
    _remove_old_generations(index_dir, keep={final.name, previous.name if previous else ""})
    return final


def load_contents(generation: Path) -> IndexContents:
    """Read a whole generation back (documents, chunks, vectors) for an incremental ingest."""
    connection = _connect(generation / "store.sqlite")
    try:
        documents = [_document_from_row(row) for row in connection.execute("SELECT * FROM documents ORDER BY rowid")]
        chunks = [chunk_from_record(row) for row in connection.execute("SELECT * FROM chunks ORDER BY row")]
    finally:
        connection.close()
    vectors = np.load(generation / "vectors.npy")
    sentences = load_sentences(generation, [doc.doc_id for doc in documents])
    return IndexContents(documents=documents, chunks=chunks, vectors=vectors, sentences=sentences)


class IndexReader:
    """A read-only view of one generation: vectors, keywords, chunk table and documents.

    The FAISS and keyword indexes are memory-mapped, vectors are read by row (:class:`VectorFile`,
    or from a flat index's own storage: :class:`FlatVectors`),
    chunks are numpy columns plus on-demand reads (:class:`ChunkTable`); documents' metadata (not
    their text) is held.
    Safe to share between threads: SQLite access is serialised, everything else is read-only.
    """

    def __init__(self, generation: Path) -> None:
        self.generation = generation
        self.key = generation.name
        self.manifest = read_manifest(generation)
        self.vector_index = load_vector_index(generation / "vectors.faiss")
        # A flat index holds the vectors themselves, resident; other kinds' rows are read from vectors.npy.
        self.vectors: FlatVectors | VectorFile = FlatVectors.of(self.vector_index) or VectorFile(generation / "vectors.npy")
        self.bm25 = bm25s.BM25.load(str(generation / "bm25"), mmap=True)
        self._lock = threading.Lock()
        self._db = _connect(generation / "store.sqlite")
        self.documents: dict[str, Document] = {
            row["doc_id"]: _document_from_row(row, with_text=False)
            for row in self._db.execute(f"SELECT {_DOCUMENT_METADATA} FROM documents ORDER BY rowid")
        }
        self.chunks = ChunkTable(self._db, self._lock, tuple(self.documents))
        self.sentences = SentenceStore.open(generation, self.chunks.doc_ids)
        if self.sentences is None:
            log.warning(
                "%s stores no sentence vectors (it was written before they were), so answers embed their "
                "candidate sentences per question, several times slower. Run `minutes ingest` over its files again "
                "(it adds them), or re-ingest into a new directory.",
                generation,
            )
        self._search = FaissSearch(self)

    def candidates(self, query: CandidateQuery) -> Candidates:
        """Dense (FAISS) and keyword (bm25s) candidates, filters applied as row masks."""
        return self._search.candidates(query)

    def term_weights(self) -> dict[str, float]:
        """BM25's idf of every indexed word, read off the keyword index's sparse matrix."""
        scores = self.bm25.scores
        indptr = np.asarray(scores["indptr"])
        frequencies = np.diff(np.append(indptr, len(scores["data"])))
        count = max(1, int(scores["num_docs"]))
        idf = np.log(1.0 + (count - frequencies + 0.5) / (frequencies + 0.5))
        return {token: float(idf[index]) for token, index in self.bm25.vocab_dict.items() if index < len(idf)}

    @classmethod
    def open(cls, index_dir: Path) -> IndexReader:
        generation = current_generation(index_dir)
        if generation is None:
            raise IndexNotFound(
                f"No index at {index_dir}. Build one with: minutes ingest PATH... --index {index_dir}"
            )
        return cls(generation)

    def document_text(self, doc_id: str) -> str:
        with self._lock:
            row = self._db.execute("SELECT text FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None:
            raise KeyError(doc_id)
        return row["text"]

    def document(self, doc_id: str) -> Document:
        """The full document, text included. Raises KeyError for an unknown id."""
        with self._lock:
            row = self._db.execute("SELECT * FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None:
            raise KeyError(doc_id)
        return _document_from_row(row)

    def close(self) -> None:
        with self._lock:
            self._db.close()
        self.vectors.close()
        if self.sentences is not None:
            self.sentences.close()


def with_counts(manifest: Manifest, contents: IndexContents, number: int) -> Manifest:
    values = asdict(manifest)
    values.update(
        documents=len(contents.documents),
        chunks=len(contents.chunks),
        duplicates=sum(1 for chunk in contents.chunks if chunk.duplicate_of),
        generation=number,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    return Manifest(**values)


def _write_sqlite(path: Path, contents: IndexContents) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.executescript(_SCHEMA)
        connection.executemany(
            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    d.doc_id, d.file, d.path, d.content_hash, d.text, d.metadata.council, d.metadata.committee,
                    d.metadata.meeting_date, d.metadata.item_number, d.metadata.title, d.metadata.url,
                    json.dumps([asdict(p) for p in d.pages]),
                )
                for d in contents.documents
            ],
        )
        connection.executemany(
            "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [
                (row, c.chunk_id, c.doc_id, c.ordinal, c.start, c.end, c.text, c.heading, c.page,
                 c.embed_text, c.duplicate_of)
                for row, c in enumerate(contents.chunks)
            ],
        )
        connection.commit()
    finally:
        connection.close()


def _write_bm25(path: Path, chunks: list[Chunk]) -> None:
    retriever = bm25s.BM25()
    corpus_tokens = keyword_tokens([chunk.embed_text for chunk in chunks])
    retriever.index(corpus_tokens, show_progress=False)
    retriever.save(str(path))


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    return connection


def _document_from_row(row: sqlite3.Row, with_text: bool = True) -> Document:
    return Document(
        doc_id=row["doc_id"],
        file=row["file"],
        path=row["path"],
        content_hash=row["content_hash"],
        text=row["text"] if with_text else "",
        metadata=DocumentMetadata(
            council=row["council"], committee=row["committee"], meeting_date=row["meeting_date"],
            item_number=row["item_number"], title=row["title"], url=row["url"],
        ),
        pages=tuple(PageSpan(**page) for page in json.loads(row["pages"])),
    )


def _atomic_write(path: Path, content: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _fsync_tree(folder: Path) -> None:
    for file in folder.rglob("*"):
        if file.is_file():
            with open(file, "rb") as handle:
                os.fsync(handle.fileno())


def _remove_abandoned(index_dir: Path) -> None:
    """Staging folders left by an interrupted ingest."""
    for staging in index_dir.glob(".staging-*"):
        shutil.rmtree(staging, ignore_errors=False)


def _remove_old_generations(index_dir: Path, keep: set[str]) -> None:
    # The previous generation is kept one round so that a reader that opened it just before
    # the switch can finish; older ones go.
    for generation in index_dir.glob(f"{_GENERATION_PREFIX}*"):
        if generation.name not in keep:
            shutil.rmtree(generation)
