"""A generation's answer sentences: their spans and vectors, computed at ingest, read by row at query time.

Answers quote units made of whole sentences (:mod:`rag.units`) and score them by cosine with the
question. Embedding those sentences per question was most of ``/ask``'s time, so every
passage's sentences (``split_sentences`` over each chunk's span, overlaps counted once) are
embedded with the passages at ingest and stored beside them::

    sentences.npy          int32 (n, 2): start and end of each sentence in its document's text;
                           a document's sentences are consecutive rows, by start
    sentence_offsets.npy   int64 (documents + 1): document i's sentences are rows offsets[i]:offsets[i+1]
                           (documents in the store's rowid order)
    sentence_vectors.npy   float16 (n, dimension) unit vectors, row i = sentence i

Spans and offsets are held in memory (8 bytes a sentence); vectors are read by row
(:class:`VectorFile`), never loaded whole. float16 changes a cosine by under 0.002 (see
tests/test_sentence_vectors.py), far below what separates two candidate sentences.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from minutes_qa.text.sentences import split_sentences

from .records import Chunk, Document
from .vector_file import VectorFile

SPANS_FILE = "sentences.npy"
OFFSETS_FILE = "sentence_offsets.npy"
VECTORS_FILE = "sentence_vectors.npy"
VECTOR_DTYPE = "float16"
# Rows copied into the new vectors file at a time: previous generations' vectors are memory-mapped
# views, so writing never holds a whole file in memory.
_COPY_ROWS = 65_536


@dataclass(frozen=True)
class DocumentSentences:
    """One document's sentences: ``spans`` (n, 2) int32 by start, ``vectors`` (n, dimension) float16."""

    spans: np.ndarray
    vectors: np.ndarray


def chunk_sentence_spans(text: str, chunks: Iterable[Chunk]) -> np.ndarray:
    """The sentences of every chunk of a document, as (n, 2) int32 spans of ``text`` sorted by start.

    Split chunk by chunk, as the answer composer splits a passage's text, so that its units are
    unions of these spans; the sentences that overlapping chunks share are kept once.
    """
    spans = {span for chunk in chunks for span in split_sentences(text, chunk.start, chunk.end)}
    return np.array(sorted(spans), dtype=np.int32).reshape(-1, 2)


def sentence_spans_by_document(documents: Sequence[Document], chunks: Iterable[Chunk]) -> dict[str, np.ndarray]:
    """:func:`chunk_sentence_spans` of each of ``documents``, from its chunks among ``chunks``."""
    wanted: dict[str, list[Chunk]] = {doc.doc_id: [] for doc in documents}
    for chunk in chunks:
        if chunk.doc_id in wanted:
            wanted[chunk.doc_id].append(chunk)
    return {doc.doc_id: chunk_sentence_spans(doc.text, wanted[doc.doc_id]) for doc in documents}


def write_sentences(folder: Path, doc_ids: Sequence[str], sentences: Mapping[str, DocumentSentences], dimension: int) -> int:
    """Write the sentences of ``doc_ids`` (in that order) into ``folder``; returns how many there are."""
    missing = [doc_id for doc_id in doc_ids if doc_id not in sentences]
    if missing:
        raise ValueError(f"No sentences given for {len(missing)} document(s), e.g. {missing[0]}")
    counts = np.array([len(sentences[doc_id].spans) for doc_id in doc_ids], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    total = int(offsets[-1])
    spans = np.empty((total, 2), dtype=np.int32)
    for doc_id, first in zip(doc_ids, offsets[:-1].tolist(), strict=True):
        part = sentences[doc_id].spans
        spans[first : first + len(part)] = part
    np.save(folder / SPANS_FILE, spans)
    np.save(folder / OFFSETS_FILE, offsets)
    vectors = np.lib.format.open_memmap(folder / VECTORS_FILE, mode="w+", dtype=VECTOR_DTYPE, shape=(total, dimension))
    try:
        for doc_id, first in zip(doc_ids, offsets[:-1].tolist(), strict=True):
            part = sentences[doc_id].vectors
            for block in range(0, len(part), _COPY_ROWS):
                rows = part[block : block + _COPY_ROWS]
                vectors[first + block : first + block + len(rows)] = rows
        vectors.flush()
    finally:
        del vectors
    return total


def load_sentences(generation: Path, doc_ids: Sequence[str]) -> dict[str, DocumentSentences]:
    """Every document's stored sentences, for an incremental ingest to carry over; {} if none are stored.

    Vectors are views of the memory-mapped file, read only when the next generation copies them.
    """
    if not (generation / VECTORS_FILE).exists():
        return {}
    spans = np.load(generation / SPANS_FILE)
    offsets = np.load(generation / OFFSETS_FILE)
    vectors = np.load(generation / VECTORS_FILE, mmap_mode="r")
    if len(offsets) != len(doc_ids) + 1:
        raise ValueError(f"{generation} stores sentences of {len(offsets) - 1} documents, not {len(doc_ids)}: rebuild it.")
    return {
        doc_id: DocumentSentences(spans[low:high], vectors[low:high])
        for doc_id, low, high in zip(doc_ids, offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)
    }


def sentences_within(starts: np.ndarray, ends: np.ndarray, start: int, end: int) -> np.ndarray:
    """Positions of the sentences (one document's, sorted by start) that lie inside ``[start, end)``.

    A span that holds no whole sentence (text split otherwise than at ingest) gets those it
    overlaps instead.
    """
    first = int(np.searchsorted(starts, start, side="left"))
    last = int(np.searchsorted(starts, end, side="left"))
    inside = first + np.flatnonzero(ends[first:last] <= end)
    if len(inside):
        return inside.astype(np.int64)
    return np.flatnonzero((starts < end) & (ends > start)).astype(np.int64)


def best_cosines(groups: Sequence[np.ndarray], vectors: np.ndarray, query_vector: np.ndarray) -> np.ndarray:
    """For each group of sentences, the highest cosine with ``query_vector`` of its vectors (0 for none).

    ``vectors`` are the groups' vectors one after another, in order.
    """
    cosines = np.asarray(vectors).astype(np.float32) @ np.asarray(query_vector, dtype=np.float32)
    scores = np.zeros(len(groups), dtype=np.float32)
    first = 0
    for position, group in enumerate(groups):
        if len(group):
            scores[position] = cosines[first : first + len(group)].max()
        first += len(group)
    return scores


class SentenceStore:
    """The stored sentences of one open generation, looked up by document span. Safe to share between threads."""

    def __init__(self, generation: Path, doc_ids: Sequence[str]) -> None:
        self.spans: np.ndarray = np.load(generation / SPANS_FILE)
        self.offsets: np.ndarray = np.load(generation / OFFSETS_FILE)
        if len(self.offsets) != len(doc_ids) + 1:
            raise ValueError(
                f"{generation} stores sentences of {len(self.offsets) - 1} documents, not {len(doc_ids)}: "
                "the index is damaged; rebuild it into a new directory."
            )
        # Views, not copies: a lookup reads one document's few rows of them.
        self._starts, self._ends = self.spans[:, 0], self.spans[:, 1]
        self._position = {doc_id: position for position, doc_id in enumerate(doc_ids)}
        self.vectors = VectorFile(generation / VECTORS_FILE)

    @classmethod
    def open(cls, generation: Path, doc_ids: Sequence[str]) -> SentenceStore | None:
        """The generation's sentences, or None if it was written before they were stored."""
        return cls(generation, doc_ids) if (generation / VECTORS_FILE).exists() else None

    def __len__(self) -> int:
        return len(self.spans)

    def rows_within(self, doc_id: str, start: int, end: int) -> np.ndarray:
        """Rows of the stored sentences of ``doc_id`` that lie inside ``[start, end)``.

        A span that holds no whole stored sentence (text split otherwise than at ingest) gets
        those it overlaps instead; an unknown document gets none.
        """
        position = self._position.get(doc_id)
        if position is None:
            return np.zeros(0, dtype=np.int64)
        low, high = int(self.offsets[position]), int(self.offsets[position + 1])
        return low + sentences_within(self._starts[low:high], self._ends[low:high], start, end)

    def span_similarities(self, spans: Sequence[tuple[str, int, int]], query_vector: np.ndarray) -> np.ndarray:
        """For each ``(doc_id, start, end)``, the highest cosine of its sentences with ``query_vector`` (0 if none).

        All spans' vectors are read in one request. The best sentence, not the mean: on the shared
        seed and dev questions the mean cost citation precision (dev 0.957 against 0.962, seeds
        0.763 against 0.769), and the best sentence matched embedding each unit whole.
        """
        groups = [self.rows_within(doc_id, start, end) for doc_id, start, end in spans]
        if not groups:
            return np.zeros(0, dtype=np.float32)
        return best_cosines(groups, self.vectors[np.concatenate(groups)], query_vector)

    def close(self) -> None:
        self.vectors.close()
