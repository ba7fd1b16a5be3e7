"""Candidates from a generation folder: FAISS for dense, bm25s for keywords, filters as row masks.

What the read path asks of the embedded store (:meth:`IndexReader.candidates`); the Milvus store
answers the same query in the engine (:mod:`index.milvus_search`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .backend import CandidateQuery, Candidates
from .document_mask import DocumentMask
from .vector_index import dense_search

if TYPE_CHECKING:
    from .store import IndexReader

# Filtered dense search scores the allowed vectors this many at a time (96 MB at 384 dimensions):
# copying them all at once would take 1.5 GB at a million passages.
_SCORE_BLOCK_ROWS = 65_536
# A filtered query is searched by the IVF index itself when at least this share of rows is allowed:
# at 1M passages that kept recall@100 against the exact scan at 0.98 (10% allowed) to 0.995 (50%),
# 8x faster; a smaller share is scanned exactly, which is then cheap.
_ANN_MIN_ALLOWED_SHARE = 0.1


class FaissSearch:
    """Dense and keyword candidates of one open generation folder."""

    def __init__(self, reader: IndexReader) -> None:
        self.reader = reader
        self._documents = DocumentMask([reader.documents[doc_id] for doc_id in reader.chunks.doc_ids])
        self._doc_of_row = reader.chunks.document

    def candidates(self, query: CandidateQuery) -> Candidates:
        """Each retriever's ``query.limit`` best rows, and both retrievers' scores for all of them."""
        mask = self._mask(query)
        keyword_scores = self._keyword_scores(query.tokens) if query.tokens is not None else None
        found: dict[int, None] = {}
        if query.query_vector is not None:
            found.update(dict.fromkeys(self._dense_candidates(query.query_vector, mask, query.limit)))
        if keyword_scores is not None:
            scores = keyword_scores if mask is None else np.where(mask, keyword_scores, -np.inf)
            top = top_rows(scores, query.limit)
            found.update(dict.fromkeys(int(row) for row in top if scores[row] > 0))
        rows = np.fromiter(found, dtype=np.int64)
        dense = self._dense_scores(query.query_vector, rows)
        keyword = keyword_scores[rows] if keyword_scores is not None else np.zeros(len(rows))
        return Candidates(rows, dense, keyword)

    def _mask(self, query: CandidateQuery) -> np.ndarray | None:
        """Rows allowed by explicit filters (strict) and the question's own dates (lenient)."""
        allowed_docs = np.ones(len(self.reader.chunks.doc_ids), dtype=bool)
        restricted = False
        if query.filters is not None:
            allowed_docs = self._documents.matching(query.filters)
            restricted = not allowed_docs.all()
        if query.since or query.until:
            # Dates read from a question only exclude meetings known to be outside them, and only
            # when something is left: a wrong guess must not hide the answer.
            dated = self._documents.within(query.since, query.until)
            if (allowed_docs & dated).any():
                allowed_docs &= dated
                restricted = True
        return allowed_docs[self._doc_of_row] if restricted else None

    def _keyword_scores(self, tokens: list[str]) -> np.ndarray:
        if not tokens:
            return np.zeros(len(self.reader.chunks), dtype=np.float32)
        return np.asarray(self.reader.bm25.get_scores(tokens), dtype=np.float32)

    def _dense_candidates(self, query_vector: np.ndarray, mask: np.ndarray | None, limit: int) -> list[int]:
        def rescore(rows: np.ndarray) -> np.ndarray:
            return self._dense_scores(query_vector, rows)

        if mask is None:
            return [int(row) for row in dense_search(self.reader.vector_index, query_vector, limit, rescore)]
        if mask.mean() >= _ANN_MIN_ALLOWED_SHARE:
            found = dense_search(self.reader.vector_index, query_vector, limit, rescore, mask)
            if found is not None:
                return [int(row) for row in found]
        allowed = np.flatnonzero(mask)
        scores = np.empty(len(allowed), dtype=np.result_type(self.reader.vectors.dtype, query_vector.dtype))
        for first in range(0, len(allowed), _SCORE_BLOCK_ROWS):
            block = allowed[first : first + _SCORE_BLOCK_ROWS]
            scores[first : first + len(block)] = np.asarray(self.reader.vectors[block]) @ query_vector
        return [int(allowed[i]) for i in top_rows(scores, limit)]

    def _dense_scores(self, query_vector: np.ndarray | None, rows: np.ndarray) -> np.ndarray:
        if query_vector is None or not len(rows):
            return np.zeros(len(rows), dtype=np.float32)
        return np.asarray(self.reader.vectors[rows]) @ query_vector


def top_rows(scores: np.ndarray, limit: int) -> np.ndarray:
    """The rows of the ``limit`` highest ``scores``, best first, ties in row order.

    Exactly ``np.argsort(-scores, kind="stable")[:limit]``, without sorting a million scores per
    query: only those above the ``limit``-th best are sorted, and those equal to it (all the
    masked-out rows, when fewer than ``limit`` are allowed) follow in row order.
    """
    if limit >= len(scores):
        return np.argsort(-scores, kind="stable")
    threshold = np.partition(scores, len(scores) - limit)[len(scores) - limit]
    above = np.flatnonzero(scores > threshold)
    ties = np.flatnonzero(scores == threshold)[: limit - len(above)]
    return np.concatenate([above[np.argsort(-scores[above], kind="stable")], ties])
