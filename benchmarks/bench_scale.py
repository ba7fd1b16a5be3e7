"""Scale benchmark: FAISS index kinds and BM25 at 10k, 100k and 1M passages on this machine.

The corpus is synthetic but realistic: passages are sentences of the dev and seed corpora
recombined (with a real contextual header) to the lengths of real chunks. Vectors: a sample of
those passages (``--sample``) is embedded for real with the ONNX backend; the rest are synthesised
as random convex mixes of two real vectors plus Gaussian noise, renormalised (the output says how
close to real their neighbourhoods are). Queries are 200 question-length word spans of real
passages, embedded for real.

For each size and kind: build time, RSS growth, size on disk, single-query latency p50/p95 and
recall@10 against exact search, swept over efSearch / nprobe; and the product's path (100
candidates re-scored exactly from the vectors, as rag/retrieval.py does). For the largest size it
also starts a fresh process that serves the saved index the way IndexReader does (vectors.npy
memory-mapped, FAISS index memory-mapped, bm25s with mmap=True) and reports its memory.

    .venv/bin/python benchmarks/bench_scale.py [--sizes 10000,100000,1000000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import bm25s
import faiss
import numpy as np
from rich.console import Console
from rich.table import Table

from minutes_qa.index import vector_index
from minutes_qa.index.keywords import keyword_tokens
from minutes_qa.settings import Settings
from minutes_qa.text.sentences import split_sentences

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_embed import RESULTS, load_documents, load_passages, make_queries  # noqa: E402
from measure import disk_mb, memory_mb, percentiles, settled_rss_mb  # noqa: E402

K = 10
CANDIDATES = Settings().retrieval.candidates  # what the retriever asks the dense index for
EF_SWEEP = (16, 32, 64, 128, 256)
NPROBE_SWEEP = (1, 2, 4, 8, 16, 32, 64, 128, 256)
TARGET_RECALL = 0.95
MIX_MAIN_WEIGHT = (0.55, 0.95)
NOISE_NORM = 0.3
BUILD_THREADS = os.cpu_count() or 1


@dataclass
class Measured:
    """One index kind at one size, at one search setting."""

    size: int
    kind: str
    build_seconds: float
    rss_delta_mb: float
    disk_mb: float
    setting: str
    p50_ms: float
    p95_ms: float
    recall_at_10: float | None
    product_recall_at_10: float | None = None
    product_p50_ms: float | None = None
    sweep: list[dict] = field(default_factory=list)


# --- the synthetic corpus -------------------------------------------------------------------


def synthetic_passages(real: list[str], sentences: list[str], count: int, seed: int = 1) -> list[str]:
    """``count`` passages: a real header, then random real sentences up to a real passage's length."""
    rng = np.random.default_rng(seed)
    headers = [text.split("\n", 1)[0] for text in real if "\n" in text]
    lengths = np.array([len(text.split("\n", 1)[-1]) for text in real])
    sentence_lengths = np.array([len(s) + 1 for s in sentences])
    header_picks = rng.integers(len(headers), size=count)
    targets = rng.choice(lengths, size=count)
    # Draw sentence indices in bulk: Python-level random calls would dominate at 1M passages.
    pool = rng.integers(len(sentences), size=count * 12)
    passages, cursor = [], 0
    for row in range(count):
        body, size = [], 0
        while size < targets[row]:
            if cursor == len(pool):
                pool, cursor = rng.integers(len(sentences), size=len(pool)), 0
            pick = pool[cursor]
            cursor += 1
            body.append(sentences[pick])
            size += sentence_lengths[pick]
        passages.append(f"{headers[header_picks[row]]}\n{' '.join(body)}")
    return passages


def real_sentences() -> list[str]:
    sentences = []
    for document in load_documents():
        sentences += [document.text[start:end] for start, end in split_sentences(document.text)]
    return [s for s in sentences if len(s.split()) >= 3]


def synthetic_vectors(real: np.ndarray, count: int, seed: int = 2) -> np.ndarray:
    """The real vectors first, then convex mixes of two real vectors plus noise, renormalised."""
    rng = np.random.default_rng(seed)
    dimension = real.shape[1]
    vectors = np.empty((count, dimension), dtype=np.float32)
    vectors[: len(real)] = real[:count]
    block = 100_000
    for start in range(len(real), count, block):
        rows = min(block, count - start)
        main = rng.uniform(*MIX_MAIN_WEIGHT, size=(rows, 1)).astype(np.float32)
        mixed = main * real[rng.integers(len(real), size=rows)] + (1 - main) * real[rng.integers(len(real), size=rows)]
        mixed += rng.standard_normal((rows, dimension), dtype=np.float32) * (NOISE_NORM / math.sqrt(dimension))
        vectors[start : start + rows] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
    return vectors


def neighbourhood_check(real: np.ndarray, synthetic: np.ndarray, queries: np.ndarray) -> dict[str, float]:
    """Mean best cosine of the queries in equal-sized real and synthetic sets, and nearest-neighbour
    cosine within each: if these are close, ANN difficulty on the synthetic vectors is realistic."""
    def nearest_within(vectors: np.ndarray) -> float:
        scores = vectors @ vectors.T
        np.fill_diagonal(scores, -1)
        return float(scores.max(axis=1).mean())

    return {
        "query_top1_real": float((queries @ real.T).max(axis=1).mean()),
        "query_top1_synthetic": float((queries @ synthetic.T).max(axis=1).mean()),
        "nn_within_real": nearest_within(real),
        "nn_within_synthetic": nearest_within(synthetic),
    }


# --- measuring ----------------------------------------------------------------------------


def single_query_run(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[list[float], np.ndarray]:
    latencies, rows = [], np.empty((len(queries), k), dtype=np.int64)
    for i, query in enumerate(queries):
        started = time.perf_counter()
        _, found = index.search(query[None, :], k)
        latencies.append((time.perf_counter() - started) * 1000)
        rows[i] = found[0]
    return latencies, rows


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f[:K]) & set(t[:K])) / K for f, t in zip(found, truth, strict=True)]))


def product_path(index: faiss.Index, vectors: np.ndarray, queries: np.ndarray) -> tuple[list[float], np.ndarray]:
    """What the retriever does: ``CANDIDATES`` from the index, re-scored exactly from the vectors."""
    latencies, rows = [], np.empty((len(queries), K), dtype=np.int64)
    for i, query in enumerate(queries):
        started = time.perf_counter()
        _, found = index.search(query[None, :], CANDIDATES)
        # Ascending rows read the memory-mapped file front to back.
        candidates = np.sort(found[0][found[0] >= 0])
        exact = np.asarray(vectors[candidates]) @ query
        rows[i] = candidates[np.argsort(-exact)[:K]]
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies, rows


def build_and_save(kind: str, vectors: np.ndarray, folder: Path) -> tuple[faiss.Index, float, float, float]:
    before = settled_rss_mb()
    build_threads(BUILD_THREADS)
    started = time.perf_counter()
    index = vector_index.build_vector_index(vectors, kind)
    seconds = time.perf_counter() - started
    search_threads()
    delta = settled_rss_mb() - before
    path = folder / f"{kind}.faiss"
    vector_index.save_vector_index(index, path)
    return index, seconds, delta, disk_mb(path)


def search_threads() -> None:
    """Single queries on one thread, as served: OpenMP's barriers made a 10k exact search 60x
    slower (31 ms vs 0.5 ms) when the two cores were shared with other work."""
    faiss.omp_set_num_threads(1)


def build_threads(count: int) -> None:
    faiss.omp_set_num_threads(count)


def set_search(index: faiss.Index, value: int) -> None:
    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = value
    else:
        faiss.extract_index_ivf(index).nprobe = value


def get_search(index: faiss.Index) -> tuple[str, int]:
    if isinstance(index, faiss.IndexHNSW):
        return "efSearch", index.hnsw.efSearch
    ivf = faiss.extract_index_ivf(index)
    return f"nprobe (of {ivf.nlist})", ivf.nprobe


def measure_ann(kind: str, vectors: np.ndarray, queries: np.ndarray, truth: np.ndarray, folder: Path) -> Measured:
    index, seconds, delta, size_on_disk = build_and_save(kind, vectors, folder)
    name, default = get_search(index)
    values = EF_SWEEP if kind == "hnsw" else [p for p in NPROBE_SWEEP if p <= faiss.extract_index_ivf(index).nlist]
    sweep = []
    for value in sorted({*values, default}):
        set_search(index, value)
        latencies, found = single_query_run(index, queries, K)
        p50, p95 = percentiles(latencies)
        sweep.append({"value": value, "p50_ms": p50, "p95_ms": p95, "recall_at_10": recall(found, truth)})
    vector_index.set_search_defaults(index)
    at_default = next(row for row in sweep if row["value"] == default)
    product_latencies, product_found = product_path(index, vectors, queries)
    return Measured(
        size=len(vectors), kind=kind, build_seconds=seconds, rss_delta_mb=delta, disk_mb=size_on_disk,
        setting=f"{name}={default}", p50_ms=at_default["p50_ms"], p95_ms=at_default["p95_ms"],
        recall_at_10=at_default["recall_at_10"], product_recall_at_10=recall(product_found, truth),
        product_p50_ms=percentiles(product_latencies)[0], sweep=sweep,
    )


def measure_flat(vectors: np.ndarray, queries: np.ndarray, folder: Path) -> tuple[Measured, np.ndarray]:
    index, seconds, delta, size_on_disk = build_and_save("flat", vectors, folder)
    _, truth = index.search(queries, K)
    latencies, _ = single_query_run(index, queries, K)
    p50, p95 = percentiles(latencies)
    return Measured(len(vectors), "flat", seconds, delta, size_on_disk, "exact", p50, p95, 1.0, 1.0, p50), truth


def measure_bm25(texts: list[str], queries: list[str], folder: Path) -> Measured:
    before = settled_rss_mb()
    started = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(keyword_tokens(texts), show_progress=False)
    seconds = time.perf_counter() - started
    delta = settled_rss_mb() - before
    retriever.save(str(folder / "bm25"))
    latencies = bm25_latencies(retriever, queries)
    p50, p95 = percentiles(latencies)
    return Measured(len(texts), "bm25", seconds, delta, disk_mb(folder / "bm25"), "top-100", p50, p95, None)


def bm25_latencies(retriever: bm25s.BM25, queries: list[str]) -> list[float]:
    """Query tokenisation, scoring of every passage and the top ``CANDIDATES``, per query."""
    latencies = []
    for query in queries:
        started = time.perf_counter()
        tokens = keyword_tokens([query])[0]
        # A query of stop words only has nothing to score; the retriever skips BM25 for it too.
        if tokens:
            scores = retriever.get_scores(tokens)
            np.argpartition(-scores, min(CANDIDATES, len(scores) - 1))[:CANDIDATES]
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


# --- serving in a fresh process -----------------------------------------------------------


def serve_check(folder: Path, kind: str) -> dict[str, float]:
    """Memory of a fresh process serving ``folder`` as IndexReader does, after the 200 queries."""
    output = subprocess.run(
        [sys.executable, __file__, "--serve", str(folder), "--serve-kind", kind],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def serve(folder: Path, kind: str) -> None:
    """The child side of :func:`serve_check`: prints one JSON line."""
    search_threads()
    baseline = memory_mb()
    queries = np.load(folder / "queries.npy")
    texts = json.loads((folder / "queries.json").read_text(encoding="utf-8"))
    started = time.perf_counter()
    vectors = np.load(folder / "vectors.npy", mmap_mode="r")
    index = vector_index.load_vector_index(folder / f"{kind}.faiss")
    retriever = bm25s.BM25.load(str(folder / "bm25"), mmap=True)
    load_seconds = time.perf_counter() - started
    loaded = memory_mb()
    dense, _ = product_path(index, vectors, queries)
    keyword = bm25_latencies(retriever, texts)
    served = memory_mb()
    print(json.dumps({
        "kind": kind, "load_seconds": load_seconds,
        "baseline_rss_mb": baseline["rss"], "loaded_rss_mb": loaded["rss"],
        "rss_mb": served["rss"], "anon_mb": served["anon"], "file_mb": served["file"], "peak_mb": served["peak"],
        "dense_p50_ms": percentiles(dense)[0], "bm25_p50_ms": percentiles(keyword)[0],
    }))


# --- the run ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="Comma-separated passage counts.")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--sample", type=int, default=2000, help="Passages embedded for real.")
    parser.add_argument("--kinds", default="flat,hnsw,ivf,ivfpq", help="FAISS kinds to measure.")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/minutes-bench-scale"))
    parser.add_argument("--cache-dir", type=Path, default=None, help="ONNX export cache (default: user cache).")
    parser.add_argument("--keep", action="store_true", help="Keep the saved indexes in --workdir.")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--serve-kind", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.serve_kind)
        return
    run(args)


def run(args: argparse.Namespace) -> None:
    console = Console(width=160)
    sizes = sorted(int(size) for size in args.sizes.split(","))
    kinds = [kind for kind in args.kinds.split(",") if kind != "flat"]
    started = time.perf_counter()

    from minutes_qa.index.embedding.onnx_backend import OnnxEmbedder

    settings = Settings()
    embedder = OnnxEmbedder(settings.embedding.model, quantized=False, cache_dir=args.cache_dir)
    real_passages = load_passages(embedder, settings)
    texts = synthetic_passages(real_passages, real_sentences(), max(sizes))
    query_texts = make_queries(real_passages, args.queries)
    console.print(f"{max(sizes):,} synthetic passages from {len(real_passages)} real ones "
                  f"({time.perf_counter() - started:.0f} s); embedding {args.sample} for real ...")
    real_vectors = embedder.encode(texts[: args.sample], batch_size=settings.embedding.embed_batch_size)
    queries = embedder.encode(query_texts)
    vectors = synthetic_vectors(real_vectors, max(sizes))
    check = neighbourhood_check(real_vectors, vectors[args.sample : 2 * args.sample], queries)
    console.print(
        f"Vectors: {args.sample} real (onnx fp32), {max(sizes) - args.sample:,} synthetic mixes. "
        f"Query best cosine real {check['query_top1_real']:.3f} / synthetic {check['query_top1_synthetic']:.3f}; "
        f"nearest-neighbour cosine real {check['nn_within_real']:.3f} / synthetic {check['nn_within_synthetic']:.3f}."
    )
    del embedder

    results: list[Measured] = []
    serving: list[dict] = []
    for size in sizes:
        folder = args.workdir / str(size)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        subset = vectors[:size]
        flat, truth = measure_flat(subset, queries, folder)
        results.append(flat)
        for kind in kinds:
            results.append(measure_ann(kind, subset, queries, truth, folder))
            console.print(f"  {size:,} {kind}: {results[-1].build_seconds:.0f} s build "
                          f"({time.perf_counter() - started:.0f} s so far)")
        results.append(measure_bm25(texts[:size], query_texts, folder))
        console.print(f"  {size:,} bm25: {results[-1].build_seconds:.0f} s build")
        if size == sizes[-1]:
            np.save(folder / "vectors.npy", subset)
            np.save(folder / "queries.npy", queries)
            (folder / "queries.json").write_text(json.dumps(query_texts), encoding="utf-8")
            serving = [{"size": size, **serve_check(folder, kind)} for kind in ("flat", *kinds)]
        if not args.keep:
            shutil.rmtree(folder)
        # Written after every size, so that a long run stopped early still leaves its figures.
        seconds = write_report(sizes, args.sample, check, results, serving, started)

    print_tables(console, results, serving)
    console.print(f"Wrote {RESULTS / 'scale.json'} after {seconds:.0f} s")


def write_report(
    sizes: list[int], sample: int, check: dict, results: list[Measured], serving: list[dict], started: float
) -> float:
    seconds = time.perf_counter() - started
    report = {
        "sizes": sizes, "real_vectors": sample,
        "vectors": "real sample + synthetic convex mixes of two real vectors plus noise, renormalised",
        "texts": "real sentences recombined under real headers, to real passage lengths",
        "neighbourhood_check": check, "candidates": CANDIDATES, "target_recall": TARGET_RECALL,
        "build_threads": BUILD_THREADS, "search_threads": 1,
        "results": [asdict(result) for result in results], "serving": serving, "seconds": seconds,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scale.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    return seconds


def print_tables(console: Console, results: list[Measured], serving: list[dict]) -> None:
    table = Table(title=f"Index kinds: single-query latency, recall@{K} vs exact (200 queries)")
    for column in ("passages", "kind", "build s", "RSS Δ MB", "disk MB", "setting", "p50 ms", "p95 ms",
                   "recall@10", f"recall@10 via {CANDIDATES}+rescore", "that p50 ms", f"smallest setting ≥{TARGET_RECALL}"):
        table.add_column(column, justify="left" if column in ("kind", "setting") else "right")
    for r in results:
        enough = next((row["value"] for row in r.sweep if row["recall_at_10"] >= TARGET_RECALL), "-") if r.sweep else ""
        table.add_row(
            f"{r.size:,}", r.kind, f"{r.build_seconds:.1f}", f"{r.rss_delta_mb:.0f}", f"{r.disk_mb:.0f}", r.setting,
            f"{r.p50_ms:.2f}", f"{r.p95_ms:.2f}", _maybe(r.recall_at_10), _maybe(r.product_recall_at_10),
            _maybe(r.product_p50_ms, "{:.2f}"), str(enough),
        )
    console.print(table)
    if serving:
        served = Table(title="Serving the largest index in a fresh process (vectors.npy, FAISS and bm25s memory-mapped)")
        for column in ("passages", "kind", "load s", "RSS MB", "anon MB", "file-backed MB", "peak MB",
                       "dense p50 ms", "bm25 p50 ms"):
            served.add_column(column, justify="left" if column == "kind" else "right")
        for s in serving:
            served.add_row(f"{s['size']:,}", s["kind"], f"{s['load_seconds']:.1f}", f"{s['rss_mb']:.0f}",
                           f"{s['anon_mb']:.0f}", f"{s['file_mb']:.0f}", f"{s['peak_mb']:.0f}",
                           f"{s['dense_p50_ms']:.1f}", f"{s['bm25_p50_ms']:.1f}")
        console.print(served)


def _maybe(value: float | None, form: str = "{:.3f}") -> str:
    return "" if value is None else form.format(value)


if __name__ == "__main__":
    main()
