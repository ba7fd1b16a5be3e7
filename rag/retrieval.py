"""Dense (FAISS) and keyword (BM25) retrieval, fused, filtered and de-duplicated."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from minutes_qa.contract import Filters
from minutes_qa.index.chunk_table import ChunkPosition
from minutes_qa.index.embedding import Embedder
from minutes_qa.index.keywords import keyword_tokens
from minutes_qa.index.store import IndexReader
from minutes_qa.index.vector_index import search_allowed
from minutes_qa.settings import RetrievalSettings

from .document_mask import DocumentMask
from .fusion import ranked, reciprocal_rank_fusion, weighted_score_fusion
from .places import Places
from .query import QueryAnalysis

RETRIEVERS = ("dense", "bm25", "hybrid")
# Two passages of one document sharing more than this share of the shorter are one result.
_MAX_SPAN_OVERLAP = 0.5
# Filtered dense search scores the allowed vectors this many at a time (96 MB at 384 dimensions):
# copying them all at once would take 1.5 GB at a million passages.
_SCORE_BLOCK_ROWS = 65_536
# A filtered query is searched by the IVF index itself when at least this share of rows is allowed:
# at 1M passages that kept recall@100 against the exact scan at 0.98 (10% allowed) to 0.995 (50%),
# 8x faster; a smaller share is scanned exactly, which is then cheap.
_ANN_MIN_ALLOWED_SHARE = 0.1


class ScoredChunk(NamedTuple):
    """A chunk row with its final score and the raw evidence of each retriever.

    A named tuple, not a dataclass: one is made for every candidate of every request (~200),
    and a frozen dataclass takes several times longer to build."""

    row: int
    score: float
    dense: float
    keyword: float


@dataclass(frozen=True)
class ScoredPassage:
    """One result: a chunk, or neighbouring chunks of one document that both matched, joined."""

    rows: tuple[int, ...]
    score: float
    dense: float
    keyword: float

    @classmethod
    def of(cls, chunk: ScoredChunk) -> ScoredPassage:
        return cls((chunk.row,), chunk.score, chunk.dense, chunk.keyword)

    def joined(self, chunk: ScoredChunk) -> ScoredPassage:
        return ScoredPassage(
            tuple(sorted((*self.rows, chunk.row))), self.score, max(self.dense, chunk.dense),
            max(self.keyword, chunk.keyword),
        )


class Retriever:
    """Ranks the chunks of one index generation for a query."""

    def __init__(self, reader: IndexReader, embedder: Embedder, settings: RetrievalSettings) -> None:
        self.reader = reader
        self.embedder = embedder
        self.settings = settings
        self._documents = DocumentMask([reader.documents[doc_id] for doc_id in reader.chunks.doc_ids])
        self._doc_of_row = reader.chunks.document
        self.idf = _inverse_document_frequencies(reader)
        self.places = Places.of({doc.metadata.council for doc in reader.documents.values() if doc.metadata.council})

    def retrieve(
        self, analysis: QueryAnalysis, k: int, filters: Filters | None, mode: str = "hybrid",
        named_councils: frozenset[str] | None = None,
    ) -> list[ScoredPassage]:
        """The ``k`` best passages for ``analysis`` under ``filters``, best first, without repeats.

        ``named_councils``: the councils the question names, if the caller has already read them
        (``self.places.named_in(analysis.keyword_text)``); read here otherwise.
        """
        if mode not in RETRIEVERS:
            raise ValueError(f"Unknown retriever '{mode}': use one of {', '.join(RETRIEVERS)}.")
        if not len(self.reader.chunks):
            return []
        mask = self._mask(filters, analysis)
        query_vector = self.embedder.encode_query(analysis.dense_text) if mode != "bm25" else None
        keyword_scores = self._keyword_scores(analysis) if mode != "dense" else None
        candidates = self._candidates(mode, query_vector, keyword_scores, mask)
        rows = np.fromiter(candidates, dtype=np.int64)
        dense = self._dense_scores(query_vector, rows)
        keyword = keyword_scores[rows] if keyword_scores is not None else np.zeros(len(rows))
        if named_councils is None:
            named_councils = self.places.named_in(analysis.keyword_text)
        # As Python numbers from here on: looping over numpy scalars costs several times more.
        row_list, dense_list, keyword_list = rows.tolist(), dense.tolist(), keyword.tolist()
        final = self._favour_named_councils(self._fuse(mode, row_list, dense_list, keyword_list), named_councils)
        scored = {
            row: ScoredChunk(row, final[row], d, kw) for row, d, kw in zip(row_list, dense_list, keyword_list, strict=True)
        }
        return self._diverse([scored[row] for row in ranked(final)], k)

    def _favour_named_councils(self, final: dict[int, float], named: frozenset[str]) -> dict[int, float]:
        """Scale down passages of councils other than those the question names ("Slough's board").

        A softer rule than a filter: place names are guessed from free text, and a neighbour's
        minutes sometimes do answer (a joint board).
        """
        if not named or not final:
            return final
        rows = np.fromiter(final, dtype=np.int64)
        named_or_unknown = self._documents.of_councils(named)[self._doc_of_row[rows]].tolist()
        factor = self.settings.other_council_factor
        return {row: score * (1.0 if ok else factor) for (row, score), ok in zip(final.items(), named_or_unknown, strict=True)}

    def _mask(self, filters: Filters | None, analysis: QueryAnalysis) -> np.ndarray | None:
        """Rows allowed by explicit filters (strict) and the question's own dates (lenient)."""
        allowed_docs = np.ones(len(self.reader.chunks.doc_ids), dtype=bool)
        restricted = False
        if filters is not None:
            allowed_docs = self._documents.matching(filters)
            restricted = not allowed_docs.all()
        if analysis.since or analysis.until:
            # Dates read from a question only exclude meetings known to be outside them, and only
            # when something is left: a wrong guess must not hide the answer.
            dated = self._documents.within(analysis.since, analysis.until)
            if (allowed_docs & dated).any():
                allowed_docs &= dated
                restricted = True
        return allowed_docs[self._doc_of_row] if restricted else None

    def _keyword_scores(self, analysis: QueryAnalysis) -> np.ndarray:
        tokens = keyword_tokens([analysis.keyword_text])[0]
        if not tokens:
            return np.zeros(len(self.reader.chunks), dtype=np.float32)
        return np.asarray(self.reader.bm25.get_scores(tokens), dtype=np.float32)

    def _candidates(
        self, mode: str, query_vector: np.ndarray | None, keyword_scores: np.ndarray | None, mask: np.ndarray | None
    ) -> list[int]:
        limit = self.settings.candidates
        candidates: dict[int, None] = {}
        if query_vector is not None:
            candidates.update(dict.fromkeys(self._dense_candidates(query_vector, mask, limit)))
        if keyword_scores is not None:
            scores = keyword_scores if mask is None else np.where(mask, keyword_scores, -np.inf)
            top = _top_rows(scores, limit)
            candidates.update(dict.fromkeys(int(row) for row in top if scores[row] > 0))
        return list(candidates)

    def _dense_candidates(self, query_vector: np.ndarray, mask: np.ndarray | None, limit: int) -> list[int]:
        if mask is None:
            _, rows = self.reader.vector_index.search(query_vector[None, :].astype(np.float32), limit)
            return [int(row) for row in rows[0] if row >= 0]
        if mask.mean() >= _ANN_MIN_ALLOWED_SHARE:
            found = search_allowed(self.reader.vector_index, query_vector, limit, mask)
            if found is not None:
                return [int(row) for row in found]
        allowed = np.flatnonzero(mask)
        scores = np.empty(len(allowed), dtype=np.result_type(self.reader.vectors.dtype, query_vector.dtype))
        for first in range(0, len(allowed), _SCORE_BLOCK_ROWS):
            block = allowed[first : first + _SCORE_BLOCK_ROWS]
            scores[first : first + len(block)] = np.asarray(self.reader.vectors[block]) @ query_vector
        return [int(allowed[i]) for i in _top_rows(scores, limit)]

    def _dense_scores(self, query_vector: np.ndarray | None, rows: np.ndarray) -> np.ndarray:
        if query_vector is None or not len(rows):
            return np.zeros(len(rows), dtype=np.float32)
        return np.asarray(self.reader.vectors[rows]) @ query_vector

    def _fuse(self, mode: str, rows: list[int], dense: list[float], keyword: list[float]) -> dict[int, float]:
        dense_map = dict(zip(rows, dense, strict=True))
        keyword_map = {row: value for row, value in zip(rows, keyword, strict=True) if value > 0}
        if mode == "dense":
            return dense_map
        if mode == "bm25":
            return keyword_map
        if self.settings.fusion == "rrf":
            fused = reciprocal_rank_fusion([ranked(dense_map), ranked(keyword_map)], self.settings.rrf_k)
            return {row: fused.get(row, 0.0) for row in dense_map}
        weight = self.settings.dense_weight
        return weighted_score_fusion([dense_map, keyword_map], [weight, 1.0 - weight])

    def _diverse(self, ordered: list[ScoredChunk], k: int) -> list[ScoredPassage]:
        """Skip recorded duplicates and windows that repeat a chosen passage; join matching neighbours.

        A chunk next to a passage already chosen, from the same item and scoring nearly as well,
        extends that passage instead of becoming a result of its own: the two halves of one
        discussion read as one passage, and the results below show something else.
        """
        chosen: list[ScoredPassage] = []
        # Only passages of a chunk's own document can hold or neighbour it: each candidate is
        # compared with those alone (by their place in ``chosen``, in order), not with every result.
        chosen_in: dict[int, list[int]] = {}
        seen_canonical: set[int] = set()
        positions = self.reader.chunks.positions(candidate.row for candidate in ordered)
        # Below this score a chunk may join no chosen passage; None once ``chosen`` has changed.
        join_floor: float | None = None
        for candidate in ordered:
            if len(chosen) >= k:
                if join_floor is None:
                    join_floor = self._join_floor(chosen)
                if candidate.score < join_floor:
                    # No result left that this chunk, or any after it (scoring no higher), may join.
                    break
            chunk = positions[candidate.row]
            if chunk.canonical in seen_canonical:
                continue
            seen_canonical.add(chunk.canonical)
            same_document = chosen_in.get(chunk.document, [])
            neighbour = self._neighbour(chosen, same_document, chunk, candidate.score, positions)
            if neighbour is not None:
                chosen[neighbour] = chosen[neighbour].joined(candidate)
                join_floor = None
                continue
            if any(
                _overlap_share(chunk, positions[row]) > _MAX_SPAN_OVERLAP
                for index in same_document
                for row in chosen[index].rows
            ):
                continue
            if len(chosen) < k:
                chosen_in.setdefault(chunk.document, []).append(len(chosen))
                chosen.append(ScoredPassage.of(candidate))
                join_floor = None
        return chosen

    def _join_floor(self, chosen: list[ScoredPassage]) -> float:
        """The lowest score at which a chunk may still join one of ``chosen`` (infinite when all are full)."""
        open_scores = [passage.score for passage in chosen if len(passage.rows) < self.settings.max_passage_chunks]
        return self.settings.join_ratio * min(open_scores) if open_scores else math.inf

    def _neighbour(
        self, chosen: list[ScoredPassage], candidates: list[int], chunk: ChunkPosition, score: float,
        positions: dict[int, ChunkPosition],
    ) -> int | None:
        """Index of a chosen passage (among ``candidates``, indices of ``chosen`` from ``chunk``'s
        document) that ``chunk`` directly continues and may join, if any."""
        for index in candidates:
            passage = chosen[index]
            if len(passage.rows) >= self.settings.max_passage_chunks or score < self.settings.join_ratio * passage.score:
                continue
            first, last = positions[passage.rows[0]], positions[passage.rows[-1]]
            if chunk.document == first.document and chunk.ordinal in (first.ordinal - 1, last.ordinal + 1):
                return index
        return None


class TermWeights(dict[str, float]):
    """Each indexed word's idf, and ``unseen``: the weight of a word the index never saw (the highest).

    Computed once per index generation; :func:`rag.evidence.weighted_share`, called for every
    sentence scored, would otherwise take the maximum over the whole vocabulary each time.
    """

    def __init__(self, weights: dict[str, float]) -> None:
        super().__init__(weights)
        self.unseen: float = max(weights.values(), default=1.0)


def _inverse_document_frequencies(reader: IndexReader) -> TermWeights:
    """BM25's idf of every indexed word, read off the keyword index's sparse matrix."""
    scores = reader.bm25.scores
    indptr = np.asarray(scores["indptr"])
    frequencies = np.diff(np.append(indptr, len(scores["data"])))
    count = max(1, int(scores["num_docs"]))
    idf = np.log(1.0 + (count - frequencies + 0.5) / (frequencies + 0.5))
    return TermWeights({token: float(idf[index]) for token, index in reader.bm25.vocab_dict.items() if index < len(idf)})


def _overlap_share(a: ChunkPosition, b: ChunkPosition) -> float:
    if a.document != b.document:
        return 0.0
    shared = min(a.end, b.end) - max(a.start, b.start)
    return max(shared, 0) / max(1, min(a.end - a.start, b.end - b.start))


def _top_rows(scores: np.ndarray, limit: int) -> np.ndarray:
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
