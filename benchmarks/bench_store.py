"""Store benchmark (issue 15): the embedded FAISS store against Milvus (milvus-lite) at the same size.

For each store: how fast a generation is written (passages per second, the store's part of an
ingest: embedding is excluded, being the same for both), and ``/search`` and ``/ask`` latency p50/p95
through the real HTTP service on 127.0.0.1, over the shared seed and dev questions.

The corpus is the real index of ``../shared/corpus/seeds`` and ``dev`` (built first if ``--index``
holds none), grown to ``--size`` passages by copying whole documents under new ids: copies keep
their text, spans, sentences and duplicate marks; their passage vectors get a little Gaussian noise
(renormalised) so that no two copies tie exactly. Keyword statistics therefore see each word
``copies`` times more often: latency, not quality, is what this measures.

    .venv/bin/python benchmarks/bench_store.py [--size 20000] [--questions 60] [--work var/bench-store]
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import time
from dataclasses import replace
from pathlib import Path

import httpx
import numpy as np
from rich.console import Console
from rich.table import Table

from minutes_qa.index.backend import open_store
from minutes_qa.index.ingest import ingest
from minutes_qa.index.records import Chunk, Document
from minutes_qa.index.store import IndexContents, Manifest
from minutes_qa.index.vector_index import choose_index_type
from minutes_qa.server.app import create_app
from minutes_qa.server.background import background_server
from minutes_qa.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
NOISE = 0.02
_SEED = 3


def grown(contents: IndexContents, size: int, seed: int = _SEED) -> IndexContents:
    """``contents`` with whole copies of its documents appended until it holds at least ``size`` passages."""
    rng = np.random.default_rng(seed)
    chunks_of: dict[str, list[int]] = {}
    for row, chunk in enumerate(contents.chunks):
        chunks_of.setdefault(chunk.doc_id, []).append(row)
    documents, chunks, vectors, sentences = list(contents.documents), list(contents.chunks), [contents.vectors], dict(contents.sentences)
    for copy in range(1, math.ceil(size / max(1, len(contents.chunks)))):
        for doc in contents.documents:
            if len(chunks) >= size:
                break
            new = _copied_document(doc, copy)
            documents.append(new)
            rows = chunks_of.get(doc.doc_id, [])
            chunks.extend(_copied_chunk(contents.chunks[row], new.doc_id, doc.doc_id) for row in rows)
            noisy = contents.vectors[rows] + rng.normal(0.0, NOISE, (len(rows), contents.vectors.shape[1]))
            vectors.append((noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32))
            if doc.doc_id in contents.sentences:
                sentences[new.doc_id] = contents.sentences[doc.doc_id]
    return IndexContents(documents, chunks, np.concatenate(vectors), sentences)


def _copied_document(doc: Document, copy: int) -> Document:
    return replace(doc, doc_id=f"{doc.doc_id}-copy{copy}", file=f"copy{copy}-{doc.file}", path=f"{doc.path}#copy{copy}")


def _copied_chunk(chunk: Chunk, doc_id: str, original_doc_id: str) -> Chunk:
    def renamed(chunk_id: str) -> str:
        return doc_id + chunk_id.removeprefix(original_doc_id)

    return replace(chunk, chunk_id=renamed(chunk.chunk_id), doc_id=doc_id,
                   duplicate_of=renamed(chunk.duplicate_of) if chunk.duplicate_of else None)


def write_seconds(store_setting: str, folder: Path, contents: IndexContents, manifest: Manifest) -> float:
    """Seconds to write ``contents`` as a new index in ``store_setting`` (emptied first)."""
    shutil.rmtree(folder, ignore_errors=True)
    store = open_store(folder, store_setting)
    started = time.perf_counter()
    with store.writer_lock():
        store.write_generation(contents, manifest)
    return time.perf_counter() - started


def latencies(settings: Settings, questions: list[str]) -> dict[str, list[float]]:
    """Milliseconds per ``/search`` and per ``/ask`` of each question, through the HTTP service."""
    measured: dict[str, list[float]] = {"search": [], "ask": []}
    with background_server(create_app(settings)) as base, httpx.Client(base_url=base, timeout=300) as client:
        client.get("/search", params={"q": questions[0]}).raise_for_status()  # first request: warm caches
        for question in questions:
            started = time.perf_counter()
            client.get("/search", params={"q": question, "k": 10}).raise_for_status()
            measured["search"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            client.post("/ask", json={"question": question}).raise_for_status()
            measured["ask"].append((time.perf_counter() - started) * 1000)
    return measured


def shared_questions(count: int) -> list[str]:
    questions = []
    for name in ("seeds.jsonl", "dev.jsonl"):
        with open(SHARED / "eval" / name, encoding="utf-8") as handle:
            questions += [json.loads(line)["question"] for line in handle if line.strip()]
    return questions[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=20_000, help="Passages in the grown index.")
    parser.add_argument("--questions", type=int, default=60, help="Shared questions asked per store.")
    parser.add_argument("--work", type=Path, default=REPO / "var" / "bench-store")
    parser.add_argument("--index", type=Path, default=None, help="Real index of seeds + dev (default: WORK/real).")
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    args = parser.parse_args()

    settings = Settings()
    real = args.index or args.work / "real"
    if open_store(real, "faiss").live() is None:
        ingest([SHARED / "corpus" / "seeds", SHARED / "corpus" / "dev"], real, settings)
    source = open_store(real, "faiss")
    contents = grown(source.load_contents(), args.size)
    manifest = replace(source.live_manifest(), index_type=choose_index_type(len(contents.chunks), settings.index))
    questions = shared_questions(args.questions)

    rows = []
    for name, store in (("FAISS (embedded)", "faiss"), ("Milvus (milvus-lite)", "milvus-lite")):
        folder = args.work / store
        seconds = write_seconds(store, folder, contents, manifest)
        measured = latencies(settings.replace(index_dir=folder, store=store), questions)
        rows.append({
            "store": name, "passages": len(contents.chunks), "write_passages_per_s": len(contents.chunks) / seconds,
            **{f"{kind}_{q}_ms": float(np.percentile(values, q)) for kind, values in measured.items() for q in (50, 95)},
        })
    table = Table(title=f"Stores at {len(contents.chunks):,} passages ({len(questions)} questions, 2 shared cores)")
    for column in ("store", "passages", "write passages/s", "/search p50 ms", "/search p95 ms", "/ask p50 ms", "/ask p95 ms"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["store"], f"{row['passages']:,}", f"{row['write_passages_per_s']:,.0f}",
                      *(f"{row[key]:.0f}" for key in ("search_50_ms", "search_95_ms", "ask_50_ms", "ask_95_ms")))
    Console(width=160).print(table)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
