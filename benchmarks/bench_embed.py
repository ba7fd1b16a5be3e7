"""Ingest-embedding benchmark: PyTorch vs ONNX Runtime fp32 vs ONNX Runtime int8.

Chunks the seed and dev corpora exactly as ``minutes ingest`` does, embeds every passage with each
backend, and prints passages per second (best of ``--rounds``, backends interleaved so that a
busy neighbour on a shared machine hurts all of them alike), single-query latency, and how far
each ONNX backend's vectors stray from PyTorch's (cosine, and overlap of each passage's ten
nearest neighbours). Writes benchmarks/results/embed.json.

    .venv/bin/python benchmarks/bench_embed.py [--rounds 3] [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from minutes_qa.index.chunking import chunk_document
from minutes_qa.index.embedding import Embedder, TorchEmbedder
from minutes_qa.index.embedding.onnx_backend import OnnxEmbedder
from minutes_qa.index.ingest import document_id
from minutes_qa.index.metadata import load_sidecar, parse_metadata
from minutes_qa.index.readers import SUPPORTED_SUFFIXES, read_file
from minutes_qa.index.records import Chunk, Document
from minutes_qa.settings import Settings

# The shared folder sits beside the repository: ../shared from its root.
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
CORPUS_FOLDERS = (CORPUS / "seeds", CORPUS / "dev")
RESULTS = Path(__file__).resolve().parent / "results"


def load_documents(folders: tuple[Path, ...] = CORPUS_FOLDERS) -> list[Document]:
    """Every minutes file under ``folders``, read and given metadata as ingest does."""
    documents = []
    for folder in folders:
        sidecar = load_sidecar(folder)
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            read = read_file(path)
            parsed = parse_metadata(read.text)
            metadata = sidecar[path.name].merged_over(parsed) if path.name in sidecar else parsed
            documents.append(
                Document(doc_id=document_id(path), file=path.name, path=str(path), content_hash="",
                         text=read.text, metadata=metadata, pages=read.pages)
            )
    return documents


def chunk_documents(documents: list[Document], embedder: Embedder, settings: Settings) -> list[Chunk]:
    """The chunks ingest would make of ``documents``."""
    budget = min(settings.index.chunk_max_tokens, embedder.max_tokens)
    return [
        chunk
        for document in documents
        for chunk in chunk_document(document, embedder.count_tokens, budget, settings.index.chunk_overlap_sentences)
    ]


def load_passages(embedder: Embedder, settings: Settings) -> list[str]:
    """The texts ingest would embed for the seed and dev corpora (header + chunk)."""
    return [chunk.embed_text for chunk in chunk_documents(load_documents(), embedder, settings)]


def timed_encode(embedder: Embedder, passages: list[str], batch_size: int) -> tuple[float, np.ndarray]:
    started = time.perf_counter()
    vectors = embedder.encode(passages, batch_size=batch_size)
    return time.perf_counter() - started, vectors


def query_latencies_ms(embedder: Embedder, queries: list[str]) -> list[float]:
    latencies = []
    for query in queries:
        started = time.perf_counter()
        embedder.encode_query(query)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def neighbour_overlap(vectors: np.ndarray, reference: np.ndarray, k: int = 10) -> float:
    """Mean share of each passage's k nearest passages that both vector sets agree on."""
    def top(matrix: np.ndarray) -> np.ndarray:
        scores = matrix @ matrix.T
        np.fill_diagonal(scores, -np.inf)
        return np.argpartition(-scores, k, axis=1)[:, :k]

    mine, theirs = top(vectors), top(reference)
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(mine, theirs, strict=True)]))


def make_queries(passages: list[str], count: int, seed: int = 7) -> list[str]:
    """Question-length texts: 6-14 consecutive words cut from random passages."""
    rng = random.Random(seed)
    queries = []
    for passage in rng.sample(passages, min(count, len(passages))):
        words = passage.split()
        length = rng.randint(6, 14)
        start = rng.randint(0, max(0, len(words) - length))
        queries.append(" ".join(words[start : start + length]))
    return queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="Timed passes per backend; the best counts.")
    parser.add_argument("--queries", type=int, default=100, help="Single queries timed per backend.")
    parser.add_argument("--cache-dir", type=Path, default=None, help="ONNX export cache (default: user cache).")
    parser.add_argument("--limit", type=int, default=0, help="Embed only the first N passages (0: all).")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = Settings()
    console = Console(width=150)

    loads: dict[str, float] = {}
    embedders: dict[str, Embedder] = {}
    for name, factory in (
        ("torch", lambda: TorchEmbedder(settings.embedding.model)),
        ("onnx", lambda: OnnxEmbedder(settings.embedding.model, quantized=False, cache_dir=args.cache_dir)),
        ("onnx-int8", lambda: OnnxEmbedder(settings.embedding.model, quantized=True, cache_dir=args.cache_dir)),
    ):
        started = time.perf_counter()
        embedders[name] = factory()
        loads[name] = time.perf_counter() - started

    passages = load_passages(embedders["torch"], settings)
    if args.limit:
        passages = passages[: args.limit]
    tokens = embedders["torch"].count_tokens(passages)
    console.print(
        f"{len(passages)} passages from {', '.join(str(f) for f in CORPUS_FOLDERS)}; "
        f"tokens mean {np.mean(tokens):.0f}, max {max(tokens)}; batch {settings.embedding.embed_batch_size}; "
        f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}"
    )

    best: dict[str, float] = {name: float("inf") for name in embedders}
    vectors: dict[str, np.ndarray] = {}
    for round_number in range(args.rounds):
        for name, embedder in embedders.items():
            seconds, vectors[name] = timed_encode(embedder, passages, settings.embedding.embed_batch_size)
            best[name] = min(best[name], seconds)
            console.print(f"  round {round_number + 1} {name}: {len(passages) / seconds:.1f} passages/s")

    queries = make_queries(passages, args.queries)
    reference = vectors["torch"]
    results = []
    for name, embedder in embedders.items():
        cosines = (vectors[name] * reference).sum(axis=1)
        latencies = query_latencies_ms(embedder, queries)
        results.append({
            "backend": name,
            "passages_per_second": len(passages) / best[name],
            "ratio_vs_torch": best["torch"] / best[name],
            "cosine_min": float(cosines.min()),
            "cosine_p01": float(np.percentile(cosines, 1)),
            "cosine_mean": float(cosines.mean()),
            "neighbours_at_10_vs_torch": neighbour_overlap(vectors[name], reference),
            "query_ms_p50": float(np.percentile(latencies, 50)),
            "query_ms_p95": float(np.percentile(latencies, 95)),
            "load_seconds": loads[name],
        })

    table = Table(title=f"Embedding {len(passages)} passages (best of {args.rounds})")
    for column in ("backend", "passages/s", "× torch", "cos min", "cos p1", "cos mean", "nn@10",
                   "query p50 ms", "query p95 ms", "load s"):
        table.add_column(column, justify="left" if column == "backend" else "right")
    for row in results:
        table.add_row(
            row["backend"], f"{row['passages_per_second']:.1f}", f"{row['ratio_vs_torch']:.2f}",
            f"{row['cosine_min']:.4f}", f"{row['cosine_p01']:.4f}", f"{row['cosine_mean']:.4f}",
            f"{row['neighbours_at_10_vs_torch']:.3f}", f"{row['query_ms_p50']:.1f}",
            f"{row['query_ms_p95']:.1f}", f"{row['load_seconds']:.1f}",
        )
    console.print(table)
    console.print("load s includes the one-off ONNX export when the cache was empty.")

    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {
        "passages": len(passages),
        "tokens_mean": float(np.mean(tokens)),
        "batch_size": settings.embedding.embed_batch_size,
        "rounds": args.rounds,
        "cpu_count": os.cpu_count(),
        "load_average_end": os.getloadavg()[0],
        "machine": platform.processor() or platform.machine(),
        "results": results,
    }
    (RESULTS / "embed.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    console.print(f"Wrote {RESULTS / 'embed.json'}")


if __name__ == "__main__":
    main()
