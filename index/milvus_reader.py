"""One generation of a Milvus-held index, opened for reading (the :class:`index.backend.StoreReader`).

Held in the process: documents' metadata, the chunk columns ranking needs, and the keyword idf
(read once per generation, as the embedded store holds them). Everything else is asked of the
engine per request: dense and keyword candidates with the filters inside each search, passage
vectors and chunks by row, sentence vectors by document, document text.

Candidates are each retriever's list from the engine, fused by the read path as for the embedded
store (:mod:`rag.retrieval`). Every candidate gets both scores: its vector is fetched and scored
here exactly as FAISS scores it, and its BM25 score comes from a second keyword search restricted
to the candidates' rows, so a passage found only by its vector still carries its keyword score.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from . import milvus_schema as schema
from .backend import CandidateQuery, Candidates
from .chunk_table import ChunkColumns
from .milvus_filters import NOTHING, combine, date_expression, filter_expression, ids_expression, literal
from .milvus_store import CHUNK_FIELDS, MilvusStore, chunk_of, document_of
from .records import Chunk, Document
from .sentence_store import best_cosines, sentences_within

# Rows per ``id in [...]`` request.
_BATCH = 1_000


class MilvusReader:
    """A read-only view of generation ``generation`` of ``store``. Safe to share between threads."""

    def __init__(self, store: MilvusStore, generation: int) -> None:
        self._store = store
        self._client = store.client
        self._passages = schema.collection(store.name, generation, "passages")
        self._generation = generation
        self.key = schema.collection(store.name, generation, "meta")
        self.manifest = store.manifest(generation)
        self._search_params = schema.dense_search_params(self.manifest.index_type, self.manifest.chunks)
        documents = store.documents(generation, with_text=False)
        self.documents: dict[str, Document] = {doc.doc_id: doc for doc in documents}
        self.chunks = MilvusChunks(store, generation, tuple(self.documents))
        self.vectors = MilvusVectors(store, self._passages, self.manifest.dimension)
        self.sentences = MilvusSentences(store, generation) if self.manifest.sentence_vectors else None
        self._committees = {doc.metadata.committee for doc in documents if doc.metadata.committee}
        self._councils = {doc.metadata.council for doc in documents if doc.metadata.council}

    def candidates(self, query: CandidateQuery) -> Candidates:
        """Each retriever's ``query.limit`` best rows from the engine, filters inside each search."""
        where = self._where(query)
        if where == NOTHING:
            return Candidates(np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(0, np.float32))
        found: dict[int, None] = {}
        if query.query_vector is not None:
            hits = self._client.search(
                self._passages, data=[np.asarray(query.query_vector, dtype=np.float32).tolist()], anns_field="dense",
                filter=where, limit=query.limit, search_params={"metric_type": "IP", "params": self._search_params},
                output_fields=["id"],
            )[0]
            found.update(dict.fromkeys(int(hit["id"]) for hit in hits))
        if query.tokens:
            found.update(dict.fromkeys(self._keyword_scores(query.tokens, where, query.limit)))
        rows = np.fromiter(found, dtype=np.int64)
        dense = (np.asarray(self.vectors[rows]) @ query.query_vector if query.query_vector is not None and len(rows)
                 else np.zeros(len(rows), dtype=np.float32))
        keyword = np.zeros(len(rows), dtype=np.float32)
        if query.tokens and len(rows):
            scores = self._keyword_scores(query.tokens, ids_expression(rows), len(rows))
            keyword = np.array([scores.get(row, 0.0) for row in rows.tolist()], dtype=np.float32)
        return Candidates(rows, dense, keyword)

    def _where(self, query: CandidateQuery) -> str:
        """Strict filters, and the question's dates where something is left within them."""
        strict = filter_expression(query.filters, self._committees, self._councils)
        if strict == NOTHING or not (query.since or query.until):
            return strict
        dated = combine(strict, date_expression(query.since, query.until))
        # Dates read from a question only exclude meetings known to be outside them, and only when
        # something is left: a wrong guess must not hide the answer.
        return dated if self._client.query(self._passages, filter=dated, output_fields=["id"], limit=1) else strict

    def _keyword_scores(self, tokens: list[str], where: str, limit: int) -> dict[int, float]:
        """BM25 scores of the best ``limit`` rows under ``where``, on bm25s's scale.

        The engine computes Lucene's BM25 with the ``(k1 + 1)`` factor that bm25s leaves out; the
        read path only compares scores, but they are shown, and are the same as the embedded store's.
        milvus-lite reports a BM25 hit's score negated (its distance, smaller is better; best first
        all the same), a server as it is: a BM25 score is never negative, so its magnitude is taken.
        """
        hits = self._client.search(self._passages, data=[" ".join(tokens)], anns_field="sparse", filter=where,
                                   limit=limit, output_fields=["id"])[0]
        scores = {int(hit["id"]): abs(float(hit["distance"])) / (schema.BM25_K1 + 1) for hit in hits}
        return {row: score for row, score in scores.items() if score > 0}

    def term_weights(self) -> dict[str, float]:
        """BM25's idf of every indexed token, from the document frequencies stored at ingest."""
        count = max(1, self.manifest.chunks)
        frequencies = {row["token"]: row["df"] for row in self._store.scan(self._generation, "terms", ["token", "df"])}
        # bm25s's vocabulary holds an empty token found in no passage; its idf, the highest, is what the
        # answer composer weighs a word the index never saw by (rag.retrieval.TermWeights.unseen).
        frequencies.setdefault("", 0)
        return {token: float(np.log(1.0 + (count - df + 0.5) / (df + 0.5))) for token, df in frequencies.items()}

    def document_text(self, doc_id: str) -> str:
        rows = self._client.query(schema.collection(self._store.name, self._generation, "documents"),
                                  filter=f"doc_id == {literal(doc_id)}", output_fields=["part", "text"])
        if not rows:
            raise KeyError(doc_id)
        return "".join(row["text"] for row in sorted(rows, key=lambda row: row["part"]))

    def document(self, doc_id: str) -> Document:
        """The full document, text included. Raises KeyError for an unknown id."""
        known = self.documents[doc_id]
        rows = self._client.query(schema.collection(self._store.name, self._generation, "documents"),
                                  filter=f"doc_id == {literal(doc_id)} and part == 0", output_fields=["metadata"])
        return document_of(rows[0]["metadata"], self.document_text(known.doc_id))

    def close(self) -> None:
        """Nothing to release: the store's client serves every generation."""


class MilvusChunks(ChunkColumns):
    """The chunk columns of one generation, read from the engine at open; whole chunks by row on demand."""

    def __init__(self, store: MilvusStore, generation: int, doc_ids: tuple[str, ...]) -> None:
        self._client = store.client
        self._collection = schema.collection(store.name, generation, "passages")
        self.doc_ids = doc_ids
        rows = store.scan(generation, "passages", ["id", "doc_position", "ordinal", "span_start", "span_end", "canonical"])
        rows.sort(key=lambda row: row["id"])
        self.document = np.array([row["doc_position"] for row in rows], dtype=np.int32)
        self.ordinal = np.array([row["ordinal"] for row in rows], dtype=np.int32)
        self.start = np.array([row["span_start"] for row in rows], dtype=np.int64)
        self.end = np.array([row["span_end"] for row in rows], dtype=np.int64)
        self.canonical = np.array([row["canonical"] for row in rows], dtype=np.int32)

    def fetch(self, rows: Iterable[int]) -> list[Chunk]:
        """The chunks at ``rows``, in that order (repeats allowed). Raises IndexError for a row out of range."""
        wanted = [self._checked(row) for row in rows]
        found = {row["id"]: chunk_of(row) for row in _by_ids(self._client, self._collection, wanted, CHUNK_FIELDS)}
        return [found[row] for row in wanted]


class MilvusVectors:
    """Passage vectors by row, fetched from the engine."""

    def __init__(self, store: MilvusStore, collection: str, dimension: int) -> None:
        self._client = store.client
        self._collection = collection
        self._dimension = dimension

    def __getitem__(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        wanted = np.asarray(rows, dtype=np.int64).reshape(-1).tolist()
        found = {row["id"]: row["dense"] for row in _by_ids(self._client, self._collection, wanted, ["id", "dense"])}
        missing = [row for row in wanted if row not in found]
        if missing:
            raise IndexError(f"no passage vector at rows {missing[:5]}")
        return np.array([found[row] for row in wanted], dtype=np.float32).reshape(-1, self._dimension)


class MilvusSentences:
    """The stored answer sentences of one generation, read from the engine by document."""

    def __init__(self, store: MilvusStore, generation: int) -> None:
        self._client = store.client
        self._collection = schema.collection(store.name, generation, "sentences")

    def span_similarities(self, spans: Sequence[tuple[str, int, int]], query_vector: np.ndarray) -> np.ndarray:
        """For each ``(doc_id, start, end)``, the highest cosine of its sentences with ``query_vector`` (0 if none);
        the same sentences and arithmetic as :meth:`index.sentence_store.SentenceStore.span_similarities`."""
        if not spans:
            return np.zeros(0, dtype=np.float32)
        doc_ids = sorted({doc_id for doc_id, _, _ in spans})
        rows = self._client.query(
            self._collection, filter=f"doc_id in [{', '.join(literal(doc_id) for doc_id in doc_ids)}]",
            output_fields=["id", "doc_id", "span_start", "span_end", "vector"],
        )
        by_doc: dict[str, list[dict[str, Any]]] = {}
        for row in sorted(rows, key=lambda row: row["id"]):
            by_doc.setdefault(row["doc_id"], []).append(row)
        groups: list[np.ndarray] = []
        vectors: list[list[float]] = []
        for doc_id, start, end in spans:
            sentences = by_doc.get(doc_id, [])
            starts = np.array([row["span_start"] for row in sentences], dtype=np.int64)
            ends = np.array([row["span_end"] for row in sentences], dtype=np.int64)
            inside = sentences_within(starts, ends, start, end)
            groups.append(inside)
            vectors.extend(sentences[position]["vector"] for position in inside.tolist())
        # Stored as float16, as the embedded store keeps them, so that cosines match it.
        stacked = np.array(vectors, dtype=np.float16).reshape(len(vectors), -1)
        return best_cosines(groups, stacked, query_vector)


def _by_ids(client: Any, collection: str, rows: list[int], fields: list[str]) -> list[dict[str, Any]]:
    """The rows of ``collection`` whose id is one of ``rows`` (each once), with ``fields``."""
    unique = list(dict.fromkeys(rows))
    found: list[dict[str, Any]] = []
    for first in range(0, len(unique), _BATCH):
        found.extend(client.query(collection, filter=ids_expression(unique[first : first + _BATCH]), output_fields=fields))
    return found
