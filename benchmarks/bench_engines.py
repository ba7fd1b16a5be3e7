"""Spike for issue 15: Qdrant (qdrant-client local mode) against Milvus (milvus-lite + pymilvus), measured.

Reads one generation of a minutes-qa index (passage text, vectors, document metadata), loads the
same passages into each engine's embedded mode — dense vectors, a keyword representation and
payload fields (council, committee, meeting_date, file, span, duplicate flag) — and scores every
question of the shared seeds and dev sets with the harness's relevance (span overlap with the gold
quotes, ``eval.relevance``) at chunk level: hit@1, hit@5, MRR@10 for

- the project's own FAISS index alone, bm25s alone, and bm25s + FAISS fused locally (RRF, and the
  product's weighted fusion), as references;
- each engine's dense search, keyword search and server-side hybrid search;
- the same with a committee filter (the gold document's committee), executed by the engine.

Keywords: Qdrant gets sparse vectors whose weights are BM25's term-frequency part computed here with
the project's tokenisation (``index/keywords.py``), ids are CRC32 of the token, and the IDF is the
engine's (``Modifier.IDF``), so the dot product is Lucene BM25, as bm25s computes it. Milvus gets the
same tokens, space-joined, in a VARCHAR field with its BM25 function (the standard ``\\w+``
analyzer leaves them as they are). Duplicates are hidden by a payload filter in every engine.

Queries use the question text as asked (no glossary expansion, no date or council handling): the
same input for every system, so the differences are the engines'.

``--scale`` adds a probe at larger sizes, each in a fresh child process so that its RSS is its own.
The points beyond the real ones are synthesised: real vectors repeated with Gaussian noise
(sigma 0.02 per dimension, renormalised), with the original's payload and keywords copied.

    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 .venv/bin/python benchmarks/bench_engines.py \\
        --index var/spike [--shared ../shared] [--scale 20000,100000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import disk_mb, memory_mb, percentiles  # noqa: E402

from minutes_qa.eval.questions import Question, load_questions  # noqa: E402
from minutes_qa.eval.relevance import GoldSpan, covered_gold, gold_spans  # noqa: E402
from minutes_qa.index.keywords import keyword_tokens  # noqa: E402
from minutes_qa.index.store import IndexReader  # noqa: E402
from minutes_qa.rag.fusion import reciprocal_rank_fusion, weighted_score_fusion  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
K = 10
CANDIDATES = 100  # per retriever before fusion, as Settings.candidates
DENSE_WEIGHT = 0.25  # Settings.dense_weight
BM25_K1, BM25_B = 1.5, 0.75  # bm25s's defaults (Lucene BM25), which the product's keyword index uses
COLLECTION = "passages"
NOISE = 0.02
PAYLOAD_TEXT = ("council", "committee", "meeting_date", "file", "doc_id")


@dataclass(frozen=True)
class Passages:
    """Every chunk of a generation, as the engines receive it; row i is point id i."""

    vectors: np.ndarray  # float32, unit length
    tokens: list[list[str]]  # the project's keyword tokens of each chunk's embedded text
    payloads: list[dict]  # council, committee, meeting_date, file, doc_id, start, end, duplicate

    def __len__(self) -> int:
        return len(self.payloads)


@dataclass(frozen=True)
class Hit:
    """One retrieved passage as an engine returns it: enough payload to judge it."""

    row: int
    file: str
    start: int
    end: int
    committee: str


Search = Callable[[np.ndarray, list[str], str | None], list[Hit]]


# ---------------------------------------------------------------- data


def load_passages(reader: IndexReader) -> Passages:
    """Passages, vectors and payloads of ``reader``'s generation."""
    chunks = list(reader.chunks)
    vectors = np.asarray(reader.vectors[np.arange(len(chunks))], dtype=np.float32)
    payloads = []
    for chunk in chunks:
        document = reader.documents[chunk.doc_id]
        meta = document.metadata
        payloads.append({
            "council": meta.council or "", "committee": meta.committee or "", "meeting_date": meta.meeting_date or "",
            "file": document.file, "doc_id": chunk.doc_id, "start": chunk.start, "end": chunk.end,
            "duplicate": chunk.duplicate_of is not None,
        })
    return Passages(vectors, keyword_tokens([chunk.embed_text for chunk in chunks]), payloads)


def synthesise(passages: Passages, size: int, seed: int = 7) -> Passages:
    """``size`` points: the real ones, then copies of them with noisy, renormalised vectors."""
    rng = np.random.default_rng(seed)
    source = np.arange(size) % len(passages)
    vectors = passages.vectors[source] + rng.normal(0, NOISE, (size, passages.vectors.shape[1])).astype(np.float32)
    vectors[: len(passages)] = passages.vectors[: min(size, len(passages))]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return Passages(vectors, [passages.tokens[i] for i in source], [passages.payloads[i] for i in source])


def question_sets(shared: Path) -> list[Question]:
    return [q for q in load_questions([shared / "eval" / "seeds.jsonl", shared / "eval" / "dev.jsonl"]) if q.answerable]


def document_texts(reader: IndexReader) -> dict[str, str]:
    return {document.file: reader.document_text(doc_id) for doc_id, document in reader.documents.items()}


# ---------------------------------------------------------------- BM25 as sparse vectors (pure)


def token_id(token: str) -> int:
    """A stable id for a token without a shared vocabulary: any writer computes the same one."""
    return zlib.crc32(token.encode("utf-8"))


def bm25_document_weights(tokens: Sequence[str], average_length: float) -> dict[int, float]:
    """BM25's term-frequency part of one passage; the engine multiplies in the IDF at query time."""
    counts = Counter(tokens)
    norm = BM25_K1 * (1 - BM25_B + BM25_B * len(tokens) / average_length)
    weights: dict[int, float] = {}
    for token, tf in counts.items():
        weights[token_id(token)] = weights.get(token_id(token), 0.0) + tf * (BM25_K1 + 1) / (tf + norm)
    return weights


def query_weights(tokens: Sequence[str]) -> dict[int, float]:
    """One per query token occurrence, as bm25s sums a repeated query token once per occurrence."""
    weights: dict[int, float] = {}
    for token in tokens:
        weights[token_id(token)] = weights.get(token_id(token), 0.0) + 1.0
    return weights


# ---------------------------------------------------------------- engines


class QdrantEngine:
    """qdrant-client local mode on disk: the same client API as a Qdrant cluster."""

    name = "qdrant"

    def __init__(self, folder: Path) -> None:
        from qdrant_client import QdrantClient, models

        self.models = models
        self.client = QdrantClient(path=str(folder))
        self.warnings: list[str] = []

    def create(self, dimension: int, generation: str, alias: bool = True) -> None:
        m = self.models
        self.client.create_collection(
            generation,
            vectors_config={"dense": m.VectorParams(size=dimension, distance=m.Distance.COSINE)},
            sparse_vectors_config={"bm25": m.SparseVectorParams(modifier=m.Modifier.IDF)},
        )
        for field in ("council", "committee", "file", "duplicate"):
            self.client.create_payload_index(generation, field, m.PayloadSchemaType.KEYWORD if field != "duplicate"
                                             else m.PayloadSchemaType.BOOL)
        if not alias:
            return
        # The alias is what readers query: switching it to the next generation is one atomic call.
        self.client.update_collection_aliases(change_aliases_operations=[
            m.CreateAliasOperation(create_alias=m.CreateAlias(collection_name=generation, alias_name=COLLECTION))
        ])

    def upsert(self, passages: Passages, first: int, last: int, generation: str, average_length: float) -> None:
        m = self.models
        points = [
            m.PointStruct(id=row, payload=passages.payloads[row], vector={
                "dense": passages.vectors[row].tolist(),
                "bm25": _sparse(m, bm25_document_weights(passages.tokens[row], average_length)),
            })
            for row in range(first, last)
        ]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.client.upsert(generation, points=points, wait=True)
        self.warnings.extend(str(w.message) for w in caught)

    def finish(self, generation: str) -> None:
        """Nothing to do: an upsert with ``wait=True`` is searchable when it returns."""

    def _filter(self, committee: str | None):
        m = self.models
        must = [m.FieldCondition(key="duplicate", match=m.MatchValue(value=False))]
        if committee is not None:
            must.append(m.FieldCondition(key="committee", match=m.MatchValue(value=committee)))
        return m.Filter(must=must)

    def dense(self, vector: np.ndarray, tokens: list[str], committee: str | None) -> list[Hit]:
        return self._hits(self.client.query_points(
            COLLECTION, query=vector.tolist(), using="dense", query_filter=self._filter(committee), limit=K,
            with_payload=True,
        ))

    def keyword(self, vector: np.ndarray, tokens: list[str], committee: str | None) -> list[Hit]:
        return self._hits(self.client.query_points(
            COLLECTION, query=_sparse(self.models, query_weights(tokens)), using="bm25",
            query_filter=self._filter(committee), limit=K, with_payload=True,
        ))

    def hybrid(self, vector: np.ndarray, tokens: list[str], committee: str | None, fusion: str = "rrf") -> list[Hit]:
        m = self.models
        where = self._filter(committee)
        prefetch = [
            m.Prefetch(query=vector.tolist(), using="dense", filter=where, limit=CANDIDATES),
            m.Prefetch(query=_sparse(m, query_weights(tokens)), using="bm25", filter=where, limit=CANDIDATES),
        ]
        # RrfQuery with k=60 is the product's and Milvus's RRF; FusionQuery(RRF) uses Qdrant's default k=2.
        query = {
            "rrf": m.RrfQuery(rrf=m.Rrf(k=60)),
            "rrf-k2": m.FusionQuery(fusion=m.Fusion.RRF),
            "dbsf": m.FusionQuery(fusion=m.Fusion.DBSF),
        }[fusion]
        return self._hits(self.client.query_points(
            COLLECTION, prefetch=prefetch, query=query, limit=K, with_payload=True,
        ))

    def hybrid_rrf_k2(self, vector: np.ndarray, tokens: list[str], committee: str | None) -> list[Hit]:
        return self.hybrid(vector, tokens, committee, fusion="rrf-k2")

    def hybrid_dbsf(self, vector: np.ndarray, tokens: list[str], committee: str | None) -> list[Hit]:
        return self.hybrid(vector, tokens, committee, fusion="dbsf")

    @staticmethod
    def _hits(response) -> list[Hit]:
        return [Hit(int(p.id), p.payload["file"], p.payload["start"], p.payload["end"], p.payload["committee"])
                for p in response.points]

    def close(self) -> None:
        self.client.close()


def _sparse(models, weights: dict[int, float]):
    return models.SparseVector(indices=list(weights), values=list(weights.values()))


class MilvusEngine:
    """milvus-lite behind pymilvus's MilvusClient: the same client API as Milvus standalone or distributed."""

    name = "milvus"

    def __init__(self, folder: Path) -> None:
        from pymilvus import MilvusClient

        folder.mkdir(parents=True, exist_ok=True)
        self.client = MilvusClient(str(folder / "milvus.db"))
        self.warnings: list[str] = []

    def create(self, dimension: int, generation: str, alias: bool = True) -> None:
        from pymilvus import DataType, Function, FunctionType

        schema = self.client.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dimension)
        # The project's tokens, space-joined: the standard analyzer splits them back unchanged.
        schema.add_field("keywords", DataType.VARCHAR, max_length=65_535, enable_analyzer=True,
                         analyzer_params={"tokenizer": "standard"})
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        for field in PAYLOAD_TEXT:
            schema.add_field(field, DataType.VARCHAR, max_length=1_024)
        schema.add_field("start", DataType.INT64)
        schema.add_field("end", DataType.INT64)
        schema.add_field("duplicate", DataType.BOOL)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                     input_field_names=["keywords"], output_field_names=["sparse"]))
        indexes = self.client.prepare_index_params()
        indexes.add_index("dense", index_type="HNSW", metric_type="COSINE", params={"M": 16, "efConstruction": 200})
        indexes.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                          params={"bm25_k1": BM25_K1, "bm25_b": BM25_B})
        self.client.create_collection(generation, schema=schema, index_params=indexes)
        if alias:
            self.client.create_alias(generation, COLLECTION)

    def upsert(self, passages: Passages, first: int, last: int, generation: str, average_length: float) -> None:
        rows = [
            {"id": row, "dense": passages.vectors[row].tolist(), "keywords": " ".join(passages.tokens[row]),
             **passages.payloads[row]}
            for row in range(first, last)
        ]
        self.client.upsert(generation, rows)

    def finish(self, generation: str) -> None:
        """Seal the in-memory table into indexed segments: searching unflushed rows scans them row by row
        (at 20k points a hybrid query took seconds before a flush)."""
        self.client.flush(generation)

    @staticmethod
    def _filter(committee: str | None) -> str:
        where = "duplicate == false"
        # Milvus string literals take no \u escapes: non-ASCII characters go in as they are.
        return where if committee is None else f"{where} and committee == {json.dumps(committee, ensure_ascii=False)}"

    def dense(self, vector: np.ndarray, tokens: list[str], committee: str | None) -> list[Hit]:
        return self._hits(self.client.search(
            COLLECTION, data=[vector.tolist()], anns_field="dense", filter=self._filter(committee), limit=K,
            search_params={"params": {"ef": 128}}, output_fields=["file", "start", "end", "committee"],
        ))

    def keyword(self, vector: np.ndarray, tokens: list[str], committee: str | None) -> list[Hit]:
        return self._hits(self.client.search(
            COLLECTION, data=[" ".join(tokens)], anns_field="sparse", filter=self._filter(committee), limit=K,
            output_fields=["file", "start", "end", "committee"],
        ))

    def hybrid(self, vector: np.ndarray, tokens: list[str], committee: str | None, ranker: str = "rrf") -> list[Hit]:
        from pymilvus import AnnSearchRequest, RRFRanker, WeightedRanker

        where = self._filter(committee)
        requests = [
            AnnSearchRequest(data=[vector.tolist()], anns_field="dense", param={"params": {"ef": 128}},
                             limit=CANDIDATES, expr=where),
            AnnSearchRequest(data=[" ".join(tokens)], anns_field="sparse", param={}, limit=CANDIDATES, expr=where),
        ]
        fusion = RRFRanker(60) if ranker == "rrf" else WeightedRanker(DENSE_WEIGHT, 1 - DENSE_WEIGHT, norm_score=True)
        return self._hits(self.client.hybrid_search(
            COLLECTION, reqs=requests, ranker=fusion, limit=K, output_fields=["file", "start", "end", "committee"],
        ))

    def hybrid_weighted(self, vector: np.ndarray, tokens: list[str], committee: str | None) -> list[Hit]:
        return self.hybrid(vector, tokens, committee, ranker="weighted")

    @staticmethod
    def _hits(response) -> list[Hit]:
        return [Hit(int(h["id"]), h["entity"]["file"], h["entity"]["start"], h["entity"]["end"],
                    h["entity"]["committee"]) for h in response[0]]

    def close(self) -> None:
        self.client.close()


ENGINES = {"qdrant": QdrantEngine, "milvus": MilvusEngine}


def load_engine(engine, passages: Passages, batch: int = 256) -> float:
    """Create generation 1 behind the alias, upsert every passage and flush; returns passages per second."""
    average_length = float(np.mean([len(t) for t in passages.tokens])) or 1.0
    engine.create(passages.vectors.shape[1], f"{COLLECTION}_g1")
    started = time.perf_counter()
    for first in range(0, len(passages), batch):
        engine.upsert(passages, first, min(first + batch, len(passages)), f"{COLLECTION}_g1", average_length)
    engine.finish(f"{COLLECTION}_g1")
    return len(passages) / (time.perf_counter() - started)


# ---------------------------------------------------------------- local references (the product's own indexes)


class LocalReference:
    """FAISS and bm25s of the generation itself, duplicates skipped as the product skips them."""

    def __init__(self, reader: IndexReader, passages: Passages) -> None:
        self.reader = reader
        self.passages = passages
        self.duplicate = np.array([p["duplicate"] for p in passages.payloads])
        self.committee = np.array([p["committee"] for p in passages.payloads])

    def _allowed(self, committee: str | None) -> np.ndarray:
        return ~self.duplicate & ((self.committee == committee) if committee is not None else True)

    def _dense_scores(self, vector: np.ndarray, committee: str | None) -> dict[int, float]:
        if committee is None:
            scores, rows = self.reader.vector_index.search(vector[None, :].astype(np.float32), CANDIDATES + 8)
            pairs = [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0 and not self.duplicate[r]]
        else:
            allowed = np.flatnonzero(self._allowed(committee))
            values = self.passages.vectors[allowed] @ vector
            pairs = [(int(allowed[i]), float(values[i])) for i in np.argsort(-values)]
        return dict(pairs[:CANDIDATES])

    def _keyword_scores(self, tokens: list[str], committee: str | None) -> dict[int, float]:
        if not tokens:
            return {}
        scores = np.asarray(self.reader.bm25.get_scores(tokens), dtype=np.float32)
        scores = np.where(self._allowed(committee), scores, 0.0)
        top = np.argsort(-scores)[:CANDIDATES]
        return {int(r): float(scores[r]) for r in top if scores[r] > 0}

    def faiss_dense(self, vector, tokens, committee) -> list[Hit]:
        return self._hits(self._dense_scores(vector, committee))

    def bm25s(self, vector, tokens, committee) -> list[Hit]:
        return self._hits(self._keyword_scores(tokens, committee))

    def hybrid_rrf(self, vector, tokens, committee) -> list[Hit]:
        dense, keyword = self._dense_scores(vector, committee), self._keyword_scores(tokens, committee)
        return self._hits(reciprocal_rank_fusion([list(dense), list(keyword)], 60))

    def hybrid_weighted(self, vector, tokens, committee) -> list[Hit]:
        dense, keyword = self._dense_scores(vector, committee), self._keyword_scores(tokens, committee)
        return self._hits(weighted_score_fusion([dense, keyword], [DENSE_WEIGHT, 1 - DENSE_WEIGHT]))

    def _hits(self, scores: dict[int, float]) -> list[Hit]:
        rows = sorted(scores, key=lambda row: (-scores[row], row))[:K]
        return [Hit(row, self.passages.payloads[row]["file"], self.passages.payloads[row]["start"],
                    self.passages.payloads[row]["end"], self.passages.payloads[row]["committee"]) for row in rows]


# ---------------------------------------------------------------- scoring (pure)


def first_relevant_rank(hits: Sequence[Hit], spans: Sequence[GoldSpan]) -> int | None:
    """1-based rank of the first passage overlapping a gold quote, as eval.metrics judges passages."""
    for rank, hit in enumerate(hits, start=1):
        if covered_gold(hit.file, hit.start, hit.end, spans):
            return rank
    return None


def summarise(ranks: Sequence[int | None]) -> dict[str, float]:
    """hit@1, hit@5 and MRR@10 over the questions' first relevant ranks."""
    n = len(ranks)
    return {
        "hit@1": sum(1 for r in ranks if r == 1) / n,
        "hit@5": sum(1 for r in ranks if r is not None and r <= 5) / n,
        "mrr@10": sum(1 / r for r in ranks if r is not None and r <= K) / n,
    }


@dataclass(frozen=True)
class Query:
    question: Question
    vector: np.ndarray
    tokens: list[str]
    spans: tuple[GoldSpan, ...]
    committee: str | None  # the first gold document's committee, for the filtered run


def run_system(search: Search, queries: Sequence[Query], filtered: bool) -> dict[str, float]:
    """Scores, latency and (filtered) the number of results outside the filter."""
    ranks, latencies, outside = [], [], 0
    for query in queries:
        committee = query.committee if filtered else None
        started = time.perf_counter()
        hits = search(query.vector, query.tokens, committee)
        latencies.append((time.perf_counter() - started) * 1000)
        ranks.append(first_relevant_rank(hits, query.spans))
        outside += sum(1 for hit in hits if committee is not None and hit.committee != committee)
    p50, p95 = percentiles(latencies)
    return summarise(ranks) | {"p50_ms": p50, "p95_ms": p95, "outside_filter": outside, "questions": len(queries)}


# ---------------------------------------------------------------- quality run


def quality(index_dir: Path, shared: Path, work: Path) -> dict:
    from minutes_qa.index.embedding import load_embedder
    from minutes_qa.settings import Settings

    reader = IndexReader.open(index_dir)
    passages = load_passages(reader)
    texts = document_texts(reader)
    embedder = load_embedder(Settings(model=reader.manifest.model, embed_backend=reader.manifest.backend).embedding)
    committee_of = {d.file: d.metadata.committee for d in reader.documents.values()}
    queries = []
    for question in question_sets(shared):
        spans = gold_spans(question, texts)
        queries.append(Query(question, np.asarray(embedder.encode_query(question.question), dtype=np.float32),
                             keyword_tokens([question.question])[0], spans, committee_of[question.gold[0].file] or None))
    local = LocalReference(reader, passages)
    systems: dict[str, Search] = {
        "faiss dense (project)": local.faiss_dense, "bm25s (project)": local.bm25s,
        "local hybrid rrf": local.hybrid_rrf, "local hybrid weighted 0.25 (product fusion)": local.hybrid_weighted,
    }
    ingest, engine_notes, engines = {}, {}, []
    for name, make in ENGINES.items():
        engine = make(work / name)
        engines.append(engine)
        ingest[name] = load_engine(engine, passages)
        engine_notes[name] = sorted(set(engine.warnings))
        systems[f"{name} dense"] = engine.dense
        systems[f"{name} keyword"] = engine.keyword
        systems[f"{name} hybrid rrf"] = engine.hybrid
    systems["qdrant hybrid rrf k=2 (FusionQuery default)"] = engines[0].hybrid_rrf_k2
    systems["qdrant hybrid dbsf"] = engines[0].hybrid_dbsf
    systems["milvus hybrid weighted 0.25"] = engines[1].hybrid_weighted
    for search in systems.values():  # warm-up: first calls compile and cache
        search(queries[0].vector, queries[0].tokens, None)
    unfiltered = {name: run_system(search, queries, filtered=False) for name, search in systems.items()}
    with_filter = [q for q in queries if q.committee]
    filtered = {name: run_system(search, with_filter, filtered=True) for name, search in systems.items()}
    aliases = alias_switch(engines, passages)
    for engine in engines:
        engine.close()
    reader.close()
    return {"passages": len(passages), "questions": len(queries), "filtered_questions": len(with_filter),
            "ingest_per_s": ingest, "warnings": engine_notes, "unfiltered": unfiltered, "filtered": filtered,
            "alias_switch": aliases}


def alias_switch(engines: Sequence, passages: Passages) -> dict[str, str]:
    """Write a second generation (10 passages), repoint the alias at it, and count what the alias then serves."""
    result = {}
    small = Passages(passages.vectors[:10], passages.tokens[:10], passages.payloads[:10])
    generation = f"{COLLECTION}_g2"
    for engine in engines:
        engine.create(small.vectors.shape[1], generation, alias=False)
        engine.upsert(small, 0, len(small), generation, float(np.mean([len(t) for t in small.tokens])))
        if engine.name == "qdrant":
            m = engine.models
            # One request: Qdrant applies the operations of one call atomically.
            engine.client.update_collection_aliases(change_aliases_operations=[
                m.DeleteAliasOperation(delete_alias=m.DeleteAlias(alias_name=COLLECTION)),
                m.CreateAliasOperation(create_alias=m.CreateAlias(collection_name=generation, alias_name=COLLECTION)),
            ])
            served = engine.client.count(COLLECTION).count
        else:
            engine.client.alter_alias(generation, COLLECTION)
            served = len(engine.client.query(COLLECTION, filter="id >= 0", output_fields=["id"], limit=100))
        result[engine.name] = f"alias now serves {served} points of {generation}"
    return result


# ---------------------------------------------------------------- scale probe (one child process per size)


def probe(engine_name: str, index_dir: Path, size: int, work: Path, queries: int = 100) -> dict:
    """Upsert rate, query p50 and RSS of one engine holding ``size`` points (synthesised past the real ones)."""
    reader = IndexReader.open(index_dir)
    passages = synthesise(load_passages(reader), size)
    reader.close()
    before = memory_mb()["rss"]
    engine = ENGINES[engine_name](work)
    rate = load_engine(engine, passages, batch=1_000)
    loaded = memory_mb()
    rng = np.random.default_rng(3)
    picks = rng.choice(size, queries, replace=False)
    timings: dict[str, list[float]] = {"dense": [], "hybrid": [], "filtered": []}
    for row in picks:
        vector, tokens = passages.vectors[row], passages.tokens[row][:8]
        committee = passages.payloads[row]["committee"] or None
        for kind, call in (("dense", partial(engine.dense, vector, tokens, None)),
                           ("hybrid", partial(engine.hybrid, vector, tokens, None)),
                           ("filtered", partial(engine.hybrid, vector, tokens, committee))):
            started = time.perf_counter()
            call()
            timings[kind].append((time.perf_counter() - started) * 1000)
    engine.close()
    warned = sorted(set(engine.warnings))
    return {
        "engine": engine_name, "points": size, "upsert_per_s": rate,
        **{f"{kind}_p50_ms": percentiles(values)[0] for kind, values in timings.items()},
        "rss_mb": loaded["rss"], "rss_growth_mb": loaded["rss"] - before, "peak_mb": memory_mb()["peak"],
        "disk_mb": disk_mb(work), "warnings": [w[:200] for w in warned],
    }


def run_probe_child(engine: str, index_dir: Path, size: int, timeout: int) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"engines-{engine}-") as folder:
        command = [sys.executable, __file__, "--index", str(index_dir), "--probe", engine, "--points", str(size),
                   "--work", folder]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return {"engine": engine, "points": size, "error": f"did not finish within {timeout} s"}
        if done.returncode != 0:
            lines = [line for line in done.stderr.splitlines() if "Error" in line or "Exception" in line]
            return {"engine": engine, "points": size, "error": (lines or ["exit status " + str(done.returncode)])[-1][:300]}
        return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- output


def print_quality(report: dict) -> None:
    print(f"\n{report['passages']} passages, {report['questions']} answerable questions "
          f"({report['filtered_questions']} with a committee filter); chunk-level, top {K}")
    print("\ningest (upsert, embedded mode): " + ", ".join(
        f"{name} {rate:,.0f} passages/s" for name, rate in report["ingest_per_s"].items()))
    for title, key in (("unfiltered", "unfiltered"), ("committee filter (gold document's committee)", "filtered")):
        print(f"\n{title}")
        print("| system | hit@1 | hit@5 | MRR@10 | p50 ms | p95 ms | results outside filter |")
        print("|---|---|---|---|---|---|---|")
        for name, s in report[key].items():
            print(f"| {name} | {s['hit@1']:.3f} | {s['hit@5']:.3f} | {s['mrr@10']:.3f} | {s['p50_ms']:.2f} | "
                  f"{s['p95_ms']:.2f} | {s['outside_filter']} |")
    print("\nalias switch:", json.dumps(report["alias_switch"]))
    print("engine warnings:", json.dumps(report["warnings"]))


def print_scale(rows: list[dict]) -> None:
    print("\nscale probe (points beyond the real ones: real vectors + N(0, 0.02) noise, payload and keywords copied)")
    print("| engine | points | upsert /s | dense p50 ms | hybrid p50 ms | filtered hybrid p50 ms | RSS MB | disk MB |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['engine']} | {r['points']:,} | failed: {r['error']} |")
            continue
        print(f"| {r['engine']} | {r['points']:,} | {r['upsert_per_s']:,.0f} | {r['dense_p50_ms']:.1f} | "
              f"{r['hybrid_p50_ms']:.1f} | {r['filtered_p50_ms']:.1f} | {r['rss_mb']:,.0f} | {r['disk_mb']:,.0f} |")
    for r in rows:
        for warning in r.get("warnings", []):
            print(f"warning ({r['engine']}, {r['points']:,}): {warning}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="a minutes-qa index directory")
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared folder (default: ../shared)")
    parser.add_argument("--scale", default="", help="comma-separated point counts for the scale probe")
    parser.add_argument("--timeout", type=int, default=1_200, help="seconds allowed per scale probe")
    parser.add_argument("--json", type=Path, help="also write everything measured here")
    parser.add_argument("--probe", choices=sorted(ENGINES), help=argparse.SUPPRESS)
    parser.add_argument("--points", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        print(json.dumps(probe(args.probe, args.index, args.points, args.work)))
        return
    work = Path(tempfile.mkdtemp(prefix="bench-engines-"))
    try:
        report = quality(args.index, args.shared, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_quality(report)
    sizes = [int(s) for s in args.scale.split(",") if s.strip()]
    scale = [run_probe_child(engine, args.index, size, args.timeout) for size in sizes for engine in ENGINES]
    if scale:
        print_scale(scale)
    if args.json:
        args.json.write_text(json.dumps({"quality": report, "scale": scale}, indent=2, default=float))


if __name__ == "__main__":
    main()
