"""Serving memory at scale: a synthetic 1M-passage index served by the product's Engine, in a fresh process.

Build (this process): a generation in the real on-disk format, written by the store's own writer
(``index.store.write_generation``: SQLite, vectors.npy, the FAISS kind the 'auto' policy picks
for that size, bm25s). Documents copy the metadata and passage count of real seed and dev minutes
(so documents ≈ passages / 2.8, as in those corpora); their passages are real sentences recombined
to real passage lengths (bench_scale.synthetic_passages), each an exact span of its document,
embedded with the document's real contextual header. Vectors: ``--sample`` passages embedded for
real, the rest synthesised from them (bench_scale.synthetic_vectors). A share of passages, as in
the shared corpora, is marked as duplicating an earlier one. Sentence vectors are stored as an
ingest stores them (index/sentence_store.py): each document's sentence spans are computed by the
ingest's own function (``sentence_spans_by_document``), and each sentence's vector is synthesised
from its passage's vector plus Gaussian noise, renormalised, so that its mean cosine with its
passage is ~0.41, as measured on an ingest of the shared seed and dev corpora. They are written
a block at a time to a float16 scratch file in ``--workdir`` (deleted after the build), so the
build never holds them all in memory. Synthetic passages hold fewer, longer sentences than real
ones (about 4 stored sentences a passage against 7 in the shared corpora: they are drawn from real
sentences of three words or more), so the sentence-vector file is about 60% of a real ingest's;
a request reads only its candidates' sentences, so its latency does not depend on that size.

Serve (a fresh process that imports only what ``minutes serve`` does): loads the embedding model
alone, then opens the index with ``rag.engine.Engine``, runs ``--searches`` searches and ``--asks``
asks with the dev set's questions (asks with questions not searched before), and reports RSS
(anonymous and file-backed) after each step, the peak (VmHWM), the latencies and how many asks
were answered (an abstention reads no sentence vectors). File-backed RSS is memory-mapped index
files in the page cache: clean pages the kernel drops under memory pressure; anonymous RSS is what
the process holds. ``--cold`` drops the generation's files from the page cache before serving, ``--warm``
reads them into it.

    .venv/bin/python benchmarks/bench_serve_memory.py [--passages 1000000] [--keep] [--reuse] [--cold | --warm]

Writes benchmarks/results/serve_memory.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from minutes_qa.index.chunking import contextual_header
from minutes_qa.index.embedding import load_embedder
from minutes_qa.index.ingest import document_id, manifest_for
from minutes_qa.index.records import Chunk, Document
from minutes_qa.index.sentence_store import VECTOR_DTYPE, DocumentSentences, sentence_spans_by_document
from minutes_qa.index.store import IndexContents, write_generation
from minutes_qa.index.vector_index import choose_index_type
from minutes_qa.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import disk_mb, memory_mb, percentiles  # noqa: E402

# The shared folder sits beside the repository: ../shared from its root.
QUESTIONS = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "dev.jsonl"
RESULTS = Path(__file__).resolve().parent / "results"
# Share of passages recorded as duplicates: 2 of 485 in the shared seed and dev corpora.
DUPLICATE_SHARE = 2 / 485
GENERATION_FILES = ("store.sqlite", "vectors.npy", "vectors.faiss", "bm25", "sentences.npy", "sentence_vectors.npy")
# Norm of the Gaussian noise added to a (unit) passage vector to make one of its sentences' vectors:
# in 384 dimensions it is nearly orthogonal, so the cosine with the passage is 1 / sqrt(1 + 2.2²) ≈ 0.41,
# the mean cosine of a sentence with its passage in an ingest of the shared seed and dev corpora.
SENTENCE_NOISE_NORM = 2.2
# Sentence vectors synthesised at a time: 64k rows are 100 MB as float32.
SENTENCE_BLOCK = 65_536


# --- building ------------------------------------------------------------------------------


def build(index_dir: Path, size: int, sample: int, console: Console) -> dict[str, float]:
    """Write a ``size``-passage generation into ``index_dir``; returns the seconds each step took."""
    # Imported here, not at the top: the serving child must not load what only the build needs
    # (bench_embed brings ONNX Runtime in before the model), or its steps would be misattributed.
    from bench_scale import synthetic_vectors

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    settings = Settings()
    embedder = load_embedder(settings.embedding)
    documents, chunks = synthetic_minutes(size, embedder, settings)
    seconds["texts"] = time.perf_counter() - started
    console.print(f"{len(chunks):,} passages in {len(documents):,} documents ({seconds['texts']:.0f} s); "
                  f"embedding {sample} for real ...")

    started = time.perf_counter()
    real_vectors = embedder.encode([chunk.embed_text for chunk in chunks[:sample]], batch_size=settings.embedding.embed_batch_size)
    vectors = synthetic_vectors(real_vectors, size)
    seconds["vectors"] = time.perf_counter() - started
    manifest = replace(manifest_for(embedder, settings.index), index_type=choose_index_type(size, settings.index))
    del embedder
    console.print(f"Vectors ready ({seconds['vectors']:.0f} s); splitting sentences ...")

    started = time.perf_counter()
    scratch = index_dir.parent / f"{size}-sentence-vectors.npy"
    scratch.parent.mkdir(parents=True, exist_ok=True)
    sentences = synthetic_sentences(documents, chunks, vectors, scratch)
    seconds["sentences"] = time.perf_counter() - started
    console.print(f"{sum(len(part.spans) for part in sentences.values()):,} sentence vectors ready "
                  f"({seconds['sentences']:.0f} s); writing the generation ({manifest.index_type}) ...")

    started = time.perf_counter()
    shutil.rmtree(index_dir, ignore_errors=True)
    write_generation(index_dir, IndexContents(documents, chunks, vectors, sentences), manifest)
    seconds["write_generation"] = time.perf_counter() - started
    del sentences
    scratch.unlink()
    console.print(f"Written ({seconds['write_generation']:.0f} s).")
    return seconds


def synthetic_sentences(
    documents: list[Document], chunks: list[Chunk], vectors: np.ndarray, scratch: Path, seed: int = 4
) -> dict[str, DocumentSentences]:
    """Every document's sentences at the spans an ingest stores, with vectors synthesised from their passages'.

    Each sentence's vector is its passage's plus Gaussian noise of norm ``SENTENCE_NOISE_NORM``,
    renormalised. The vectors go to a float16 ``.npy`` file at ``scratch`` a block at a time; the
    documents' vectors are views of it, memory-mapped, as an incremental ingest's are.
    """
    spans = sentence_spans_by_document(documents, chunks)
    chunk_starts = np.array([chunk.start for chunk in chunks], dtype=np.int64)
    first_chunk: dict[str, int] = {}
    for row, chunk in enumerate(chunks):
        first_chunk.setdefault(chunk.doc_id, row)
    chunk_counts = Counter(chunk.doc_id for chunk in chunks)
    # The passage each sentence lies in: synthetic passages do not overlap, so the last one starting at or before it.
    located = []
    for doc in documents:
        first = first_chunk[doc.doc_id]
        starts = chunk_starts[first : first + chunk_counts[doc.doc_id]]
        located.append(first + np.searchsorted(starts, spans[doc.doc_id][:, 0], side="right") - 1)
    passage_rows = np.concatenate(located)
    rng = np.random.default_rng(seed)
    dimension = vectors.shape[1]
    stored = np.lib.format.open_memmap(scratch, mode="w+", dtype=VECTOR_DTYPE, shape=(len(passage_rows), dimension))
    for start in range(0, len(passage_rows), SENTENCE_BLOCK):
        block = vectors[passage_rows[start : start + SENTENCE_BLOCK]]
        block += rng.standard_normal(block.shape, dtype=np.float32) * (SENTENCE_NOISE_NORM / np.sqrt(dimension))
        stored[start : start + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    stored.flush()
    sentences, first = {}, 0
    for doc in documents:
        count = len(spans[doc.doc_id])
        sentences[doc.doc_id] = DocumentSentences(spans[doc.doc_id], stored[first : first + count])
        first += count
    return sentences


def synthetic_minutes(size: int, embedder, settings: Settings) -> tuple[list[Document], list[Chunk]]:
    """``size`` passages of real seed and dev sentences recombined, in documents shaped like the real ones."""
    from bench_embed import chunk_documents, load_documents
    from bench_scale import real_sentences, synthetic_passages

    real_documents = load_documents()
    real_chunks = chunk_documents(real_documents, embedder, settings)
    bodies = [
        passage.partition("\n")[2]
        for passage in synthetic_passages([chunk.embed_text for chunk in real_chunks], real_sentences(), size)
    ]
    return synthetic_corpus(real_documents, real_chunks, bodies)


def synthetic_corpus(
    real_documents: list[Document], real_chunks: list[Chunk], bodies: list[str], seed: int = 3
) -> tuple[list[Document], list[Chunk]]:
    """Documents and chunks holding ``bodies`` as passages, shaped like ``real_documents``.

    Each document copies a real one's metadata and passage count; its text is its passages
    joined by blank lines, so each chunk's text is exactly ``document.text[start:end]``.
    """
    rng = np.random.default_rng(seed)
    per_document = Counter(chunk.doc_id for chunk in real_chunks)
    headings = [chunk.heading for chunk in real_chunks]
    duplicates = set(np.flatnonzero(rng.random(len(bodies)) < DUPLICATE_SHARE).tolist()) - {0}
    documents, chunks = [], []
    while len(chunks) < len(bodies):
        template = real_documents[rng.integers(len(real_documents))]
        first = len(chunks)
        passages = bodies[first : first + max(1, per_document[template.doc_id])]
        path = Path(f"/synthetic/minutes/{len(documents):07d}_{template.file}")
        doc_id = document_id(path)
        header = contextual_header(template.metadata)
        start = 0
        for ordinal, body in enumerate(passages):
            row = first + ordinal
            original = chunks[rng.integers(row)] if row in duplicates else None
            # Chunk ids and the contextual header as index/chunking.py makes them.
            chunks.append(Chunk(
                chunk_id=f"{doc_id}:{ordinal:04d}", doc_id=doc_id, ordinal=ordinal, start=start, end=start + len(body),
                text=body, heading=headings[rng.integers(len(headings))], embed_text=f"{header}\n{body}",
                duplicate_of=(original.duplicate_of or original.chunk_id) if original else None,
            ))
            start += len(body) + 2
        documents.append(Document(
            doc_id=doc_id, file=path.name, path=str(path), content_hash=f"{len(documents):064x}",
            text="\n\n".join(passages), metadata=template.metadata,
        ))
    return documents, chunks


# --- serving in a fresh process ------------------------------------------------------------


def serve_check(index_dir: Path, searches: int, asks: int) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--serve", str(index_dir), "--searches", str(searches), "--asks", str(asks)],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def evict_from_page_cache(generation: Path) -> None:
    """Drop the clean pages of the generation's files from the kernel's page cache (no other file's).

    Latency depends on it at a million passages: a question's IVF lists, SQLite rows and
    sentence vectors are read from disk the first time they are touched.
    """
    for path in generation.rglob("*"):
        if path.is_file():
            descriptor = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(descriptor)


def read_into_page_cache(generation: Path) -> None:
    """Read every file of the generation once, so that its pages are in the kernel's page cache."""
    for path in generation.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                while handle.read(1 << 24):
                    pass


def serve(index_dir: Path, searches: int, asks: int) -> None:
    """The child side of :func:`serve_check`: prints one JSON line."""
    from minutes_qa.contract import AskResponse
    from minutes_qa.index.embedding import shared_embedder
    from minutes_qa.rag.engine import Engine

    stages = {"imports": memory_mb()}
    settings = Settings()
    shared_embedder(settings.embedding)
    stages["embedder loaded"] = memory_mb()
    started = time.perf_counter()
    engine = Engine.open(index_dir, settings)
    open_seconds = time.perf_counter() - started
    stages["index opened"] = memory_mb()
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    latencies: dict[str, list[float]] = {"search": [], "ask": []}
    # An abstention stops before the answer is composed, so its sentence vectors are never read.
    answered = 0
    # Asks take the questions after the searched ones: a question asked again would find its vector
    # and its passages' analyses in the engine's caches. The dev set's 130 cover 50 + 20 without repeats.
    for kind, first, count, run in (("search", 0, searches, engine.search), ("ask", searches, asks, engine.ask)):
        for question in itertools.islice(itertools.cycle(questions), first, first + count):
            started = time.perf_counter()
            response = run(question)
            latencies[kind].append((time.perf_counter() - started) * 1000)
            answered += isinstance(response, AskResponse) and not response.abstained
        stages[f"after {count} x {kind}"] = memory_mb()
    print(json.dumps({
        "passages": len(engine.reader.chunks), "documents": len(engine.reader.documents),
        "sentences": len(engine.reader.sentences) if engine.reader.sentences is not None else 0,
        "index_type": engine.reader.manifest.index_type, "open_seconds": open_seconds, "stages": stages, "asks_answered": answered,
        "latency_ms": {kind: dict(zip(("p50", "p95"), percentiles(values), strict=True)) for kind, values in latencies.items()},
    }))


# --- the run -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=1_000_000, help="Size of the synthetic index.")
    parser.add_argument("--sample", type=int, default=2000, help="Passages embedded for real.")
    parser.add_argument("--searches", type=int, default=50)
    parser.add_argument("--asks", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/minutes-bench-serve"))
    parser.add_argument("--keep", action="store_true", help="Keep the built index in --workdir.")
    parser.add_argument("--reuse", action="store_true", help="Serve an index of this size kept by an earlier --keep run (no build times then).")
    cache = parser.add_mutually_exclusive_group()
    cache.add_argument("--cold", action="store_true",
                       help="Drop the generation's files from the page cache first, as after a restart.")
    cache.add_argument("--warm", action="store_true",
                       help="Read the generation's files into the page cache first, as on a server that has been answering "
                       "for a while (else whatever the build or an earlier run left there is warm).")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.searches, args.asks)
        return
    run(args)


def run(args: argparse.Namespace) -> None:
    console = Console(width=150)
    index_dir = args.workdir / str(args.passages)
    build_seconds: dict[str, float] = {}
    if not (args.reuse and (index_dir / "CURRENT").exists()):
        build_seconds = build(index_dir, args.passages, args.sample, console)
    generation = index_dir / (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    disk = {name: disk_mb(generation / name) for name in GENERATION_FILES}
    if args.cold:
        evict_from_page_cache(generation)
    if args.warm:
        read_into_page_cache(generation)
    console.print(f"Serving {generation} in a fresh process{' (its files not in the page cache)' if args.cold else ''} ...")
    served = serve_check(index_dir, args.searches, args.asks)
    if not args.keep:
        shutil.rmtree(index_dir)
    report = {
        "passages": args.passages, "real_vectors": args.sample, "cores": os.cpu_count(),
        "load_average": os.getloadavg()[0], "cold": args.cold, "build_seconds": build_seconds, "disk_mb": disk, **served,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "serve_memory.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print_tables(console, report)
    console.print(f"Wrote {RESULTS / 'serve_memory.json'}")


def print_tables(console: Console, report: dict) -> None:
    title = (f"Serving {report['passages']:,} passages{' (cold page cache)' if report['cold'] else ''} in {report['documents']:,} documents ({report['index_type']}), "
             f"{report['sentences']:,} sentence vectors; "
             f"opened in {report['open_seconds']:.1f} s")
    memory = Table(title=title)
    for column in ("step", "RSS MB", "anonymous MB", "file-backed MB", "peak (VmHWM) MB"):
        memory.add_column(column, justify="left" if column == "step" else "right")
    for step, values in report["stages"].items():
        memory.add_row(step, f"{values['rss']:.0f}", f"{values['anon']:.0f}", f"{values['file']:.0f}", f"{values['peak']:.0f}")
    console.print(memory)
    latency = Table(title="Latency (dev set questions)")
    for column in ("request", "p50 ms", "p95 ms"):
        latency.add_column(column, justify="left" if column == "request" else "right")
    for kind, values in report["latency_ms"].items():
        latency.add_row(kind, f"{values['p50']:.0f}", f"{values['p95']:.0f}")
    console.print(latency)
    console.print(f"{report['asks_answered']} of the asks answered, the rest abstained.")
    disk = Table(title="On disk and build time")
    disk.add_column("item")
    disk.add_column("value", justify="right")
    for name, size in report["disk_mb"].items():
        disk.add_row(name, f"{size:,.0f} MB")
    for step, seconds in report["build_seconds"].items():
        disk.add_row(f"build: {step}", f"{seconds:,.0f} s")
    console.print(disk)


if __name__ == "__main__":
    main()
