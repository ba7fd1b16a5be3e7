"""Ingest throughput: the whole ``minutes ingest`` pipeline against the bare embedding model.

Ingests the shared seed and dev corpora into a fresh temporary index with a model loaded
beforehand (its load is timed on its own), for PyTorch, ONNX with its ingest in fp32 (``onnx:fp32``),
ONNX int8 and the default (``onnx``: questions in fp32 on ONNX Runtime, ingest in bf16 where the CPU
multiplies bf16 in hardware), then
encodes the very same chunks' embedded text with that backend's model alone (and, apart, the
distinct sentences ingest stores vectors of for answers) and with sentence-transformers directly (``SentenceTransformer(path).encode(..., batch_size=32)``), so
the pipeline's overhead over the model is visible. The overhead's parts are also timed on their
own, on the same files and chunks: reading and chunking (token counting included), duplicate
detection, and writing a generation (SQLite, vectors, FAISS, BM25, sentence vectors). Best of ``--rounds``, all
interleaved so that a busy neighbour on a shared machine hurts each alike. A last table gives
passages/s of each backend end to end (the whole ingest, sentence vectors included) and for its
model alone (the passages and the distinct sentences ingest embeds), each with its ratio to PyTorch.
Writes benchmarks/results/ingest.json.

    .venv/bin/python benchmarks/bench_ingest.py [--rounds 2] [--backends torch,onnx:fp32,onnx-int8,onnx] [--corpus DIR ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from functools import partial
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from minutes_qa.index.chunking import chunk_document  # noqa: E402
from minutes_qa.index.duplicates import find_duplicates  # noqa: E402
from minutes_qa.index.embedding import Embedder, load_embedder  # noqa: E402
from minutes_qa.index.ingest import document_id, ingest  # noqa: E402
from minutes_qa.index.metadata import load_sidecar, parse_metadata  # noqa: E402
from minutes_qa.index.readers import SUPPORTED_SUFFIXES, read_file  # noqa: E402
from minutes_qa.index.records import Document  # noqa: E402
from minutes_qa.index.store import IndexContents, current_generation, load_contents, read_manifest, write_generation  # noqa: E402
from minutes_qa.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
DEFAULT_CORPUS_FOLDERS = (CORPUS / "seeds", CORPUS / "dev")
RESULTS = Path(__file__).resolve().parent / "results"
# The backends every run compares: the ratio is to PyTorch.
# "onnx:fp32" is the onnx backend with its ingest kept in fp32 (MINUTES_INGEST_PRECISION=fp32); plain
# "onnx" is the default, which ingests in bf16 where the CPU multiplies bf16 in hardware.
DEFAULT_BACKENDS = ("torch", "onnx:fp32", "onnx-int8", "onnx")


def settings_for(base: Settings, backend: str) -> Settings:
    """``base`` with the embedding backend ``backend``; ``NAME:PRECISION`` also sets the ingest precision."""
    name, _, precision = backend.partition(":")
    return base.replace(embed_backend=name, **({"ingest_precision": precision} if precision else {}))


def timed(function):
    started = time.perf_counter()
    value = function()
    return time.perf_counter() - started, value


def read_and_chunk(folders: list[Path], embedder: Embedder, settings: Settings) -> int:
    """Read every corpus file and chunk it as ingest does; returns the number of chunks."""
    budget = min(settings.index.chunk_max_tokens, embedder.max_tokens)
    count = 0
    for folder in folders:
        sidecar = load_sidecar(folder)
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            read = read_file(path)
            parsed = parse_metadata(read.text)
            metadata = sidecar[path.name].merged_over(parsed) if path.name in sidecar else parsed
            resolved = path.resolve()
            document = Document(document_id(resolved), path.name, str(resolved), "", read.text, metadata, read.pages)
            count += len(chunk_document(document, embedder.count_tokens, budget, settings.index.chunk_overlap_sentences))
    return count


def distinct_sentences(contents: IndexContents) -> list[str]:
    """The stored sentences' texts, each once: what ingest embeds besides the passages."""
    text_of = {doc.doc_id: doc.text for doc in contents.documents}
    return list(dict.fromkeys(
        text_of[doc_id][start:end] for doc_id, part in contents.sentences.items() for start, end in part.spans.tolist()
    ))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="Timed passes of each; the best counts.")
    parser.add_argument(
        "--backends", default="", help="Comma-separated backends (default: torch, onnx, onnx-int8 and the configured one)."
    )
    parser.add_argument(
        "--corpus", type=Path, action="append", help="Corpus folder; repeat for several (default: ../shared seeds and dev)."
    )
    args = parser.parse_args()
    # The model-alone runs embed the passages (478) apart from the sentences, fewer texts than the
    # default's threshold for bf16 (ingest embeds both in one stream of 3,199, above it).
    base = Settings().replace(ingest_bf16_min_texts=1)
    backends = [b for b in args.backends.split(",") if b] or list(dict.fromkeys([*DEFAULT_BACKENDS, base.embedding.embed_backend]))
    folders: list[Path] = args.corpus or list(DEFAULT_CORPUS_FOLDERS)
    settings_of = {backend: settings_for(base, backend) for backend in backends}
    console = Console(width=150)
    missing = [str(folder) for folder in folders if not folder.is_dir()]
    if missing:
        raise SystemExit(f"Corpus folder(s) not found: {', '.join(missing)}")

    loads: dict[str, float] = {}
    embedders: dict[str, Embedder] = {}
    for backend in backends:
        loads[backend], embedders[backend] = timed(partial(load_embedder, settings_of[backend].embedding))
        # A bf16 ingest loads its PyTorch model at first use: part of the load, not of the first ingest.
        loads[backend] += timed(partial(embedders[backend].encode_corpus, ["Warm-up.", "RESOLVED: noted."]))[0]
    from sentence_transformers import SentenceTransformer

    model_path = embedders[backends[0]].model_path
    loads["sentence-transformers"], raw_model = timed(lambda: SentenceTransformer(str(model_path), device="cpu"))

    times: dict[str, list[float]] = {}

    def record(name: str, seconds: float) -> float:
        times.setdefault(name, []).append(seconds)
        return seconds

    report = None
    texts: list[str] = []
    sentence_texts: list[str] = []
    scratch = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        for round_number in range(args.rounds):
            line = []
            for backend in backends:
                index_dir = scratch / f"index-{backend}-{round_number}"
                embedder, settings = embedders[backend], settings_of[backend]
                seconds, report = timed(
                    partial(ingest, list(folders), index_dir, settings, progress=False, embedder=embedder)
                )
                record(f"pipeline:{backend}", seconds)
                generation = current_generation(index_dir)
                contents, manifest = load_contents(generation), read_manifest(generation)
                if not texts:
                    texts = [chunk.embed_text for chunk in contents.chunks]
                alone = record(
                    f"model:{backend}", timed(partial(embedder.encode_corpus, texts, batch_size=settings.embedding.embed_batch_size))[0]
                )
                if not sentence_texts:
                    sentence_texts = distinct_sentences(contents)
                sentences_alone = record(
                    f"sentences:{backend}",
                    timed(partial(embedder.encode_corpus, sentence_texts, batch_size=settings.embedding.embed_batch_size))[0],
                )
                line.append(
                    f"{backend} pipeline {seconds:.1f} s / model alone {alone:.1f} s passages + "
                    f"{sentences_alone:.1f} s sentences"
                )
                shutil.rmtree(index_dir)
            raw = record(
                "model:sentence-transformers",
                timed(partial(raw_model.encode, texts, batch_size=base.embedding.embed_batch_size, convert_to_numpy=True))[0],
            )
            embedder = embedders[backends[0]]
            chunk_seconds, chunked = timed(partial(read_and_chunk, folders, embedder, base))
            record("read+chunk", chunk_seconds)
            record("duplicates", timed(partial(find_duplicates, contents.chunks, contents.vectors, base.index.near_duplicate_threshold))[0])
            rewrite = scratch / f"rewrite-{round_number}"
            record("write", timed(partial(write_generation, rewrite, contents, manifest))[0])
            shutil.rmtree(rewrite)
            assert chunked == report.chunks == len(texts)
            console.print(
                f"  round {round_number + 1}: {'; '.join(line)}; sentence-transformers {raw:.1f} s; "
                f"read+chunk {chunk_seconds:.2f} s, duplicates {times['duplicates'][-1]:.2f} s, "
                f"write {times['write'][-1]:.2f} s"
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    assert report is not None
    best = {name: min(values) for name, values in times.items()}
    documents, chunks = report.documents, report.chunks
    tokens = embedders[backends[0]].count_tokens(texts)
    parts = best["read+chunk"] + best["duplicates"] + best["write"]

    table = Table(title=f"Ingest of {documents} documents, {chunks} chunks (best of {args.rounds})")
    for column in ("stage", "seconds", "documents/s", "chunks/s", "vs. the model alone"):
        table.add_column(column, justify="left" if column == "stage" else "right")

    def row(stage: str, seconds: float, rates: bool = True, versus: float | None = None) -> None:
        table.add_row(
            stage, f"{seconds:.2f}",
            f"{documents / seconds:.1f}" if rates else "—",
            f"{chunks / seconds:.1f}" if rates else "—",
            f"{seconds / versus:.2f}×" if versus else "—",
        )

    for backend in backends:
        row(f"model load: {backend} (load_embedder)", loads[backend], rates=False)
    row("model load: SentenceTransformer (torch)", loads["sentence-transformers"], rates=False)
    for backend in backends:
        model_total = best[f"model:{backend}"] + best[f"sentences:{backend}"]
        row(f"ingest pipeline, {backend} (model pre-loaded)", best[f"pipeline:{backend}"], versus=model_total)
        row(f"  {backend} model alone (encode_corpus), passages", best[f"model:{backend}"])
        row(f"  {backend} model alone, {len(sentence_texts)} distinct sentences", best[f"sentences:{backend}"])
    row("sentence-transformers encode alone (torch)", best["model:sentence-transformers"])
    row("  read + chunk (tokenizer counts)", best["read+chunk"])
    row("  duplicate detection", best["duplicates"])
    row("  write generation (SQLite, FAISS, BM25, sentence vectors)", best["write"])
    console.print(table)
    console.print(speed_table(backends, best, chunks, len(sentence_texts)))
    console.print(
        f"Non-model stages measured on their own: {parts:.2f} s in all. {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f}; embedded text {np.mean(tokens):.0f} tokens on average (max {max(tokens)}); "
        f"batch {base.embedding.embed_batch_size}; {len(report.failed)} file(s) failed. The first load of a backend pays for "
        "importing torch/onnxruntime (and an ONNX export if its cache is empty)."
    )

    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "corpus": [_relative(folder) for folder in folders],
        "documents": documents,
        "chunks": chunks,
        "duplicates": report.duplicates,
        "tokens_mean": float(np.mean(tokens)),
        "batch_size": base.embedding.embed_batch_size,
        "model": base.embedding.model,
        "backends": backends,
        "rounds": args.rounds,
        "load_seconds": loads,
        "best_seconds": best,
        "all_seconds": times,
        "pipeline": {
            backend: {
                "seconds": best[f"pipeline:{backend}"],
                "documents_per_second": documents / best[f"pipeline:{backend}"],
                "chunks_per_second": chunks / best[f"pipeline:{backend}"],
                "model_alone_chunks_per_second": chunks / best[f"model:{backend}"],
                "sentences_alone_seconds": best[f"sentences:{backend}"],
                "overhead_seconds_by_difference": best[f"pipeline:{backend}"] - best[f"model:{backend}"]
                - best[f"sentences:{backend}"],
                "pipeline_over_model_ratio": best[f"pipeline:{backend}"] / best[f"model:{backend}"],
            }
            for backend in backends
        },
        "passages_per_second": passages_per_second(backends, best, chunks),
        "sentences": len(sentence_texts),
        "sentence_transformers_chunks_per_second": chunks / best["model:sentence-transformers"],
        "non_model_stages_seconds": {"read_and_chunk": best["read+chunk"], "duplicates": best["duplicates"],
                                     "write_generation": best["write"], "total": parts},
        "cpu_count": os.cpu_count(),
        "load_average_end": os.getloadavg()[0],
        "machine": platform.processor() or platform.machine(),
    }
    (RESULTS / "ingest.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    console.print(f"Wrote {RESULTS / 'ingest.json'}")


def passages_per_second(backends: list[str], best: dict[str, float], chunks: int) -> dict[str, dict[str, float]]:
    """Per backend: passages/s end to end and for the model alone (passages plus distinct sentences,
    what ingest embeds), the model on passages only, and each rate's ratio to PyTorch's where it ran."""
    rates = {
        backend: {
            "end_to_end": chunks / best[f"pipeline:{backend}"],
            "model_alone": chunks / (best[f"model:{backend}"] + best[f"sentences:{backend}"]),
            "model_passages_only": chunks / best[f"model:{backend}"],
        }
        for backend in backends
    }
    if "torch" in rates:
        for backend in backends:
            for kind in ("end_to_end", "model_alone", "model_passages_only"):
                rates[backend][f"{kind}_x_torch"] = rates[backend][kind] / rates["torch"][kind]
    return rates


def speed_table(backends: list[str], best: dict[str, float], chunks: int, sentences: int) -> Table:
    """The issue's figures: passages/s end to end and for the model alone, and the ratio to PyTorch."""
    rates = passages_per_second(backends, best, chunks)
    table = Table(title=f"Passages/s ({chunks} passages, {sentences} distinct sentences embedded besides)")
    columns = ("backend", "end to end", "× torch", f"model alone (+ {sentences} sentences)", "× torch",
               "model, passages only", "× torch")
    for column in columns:
        table.add_column(column, justify="left" if column == "backend" else "right")
    for backend in backends:
        cells = [backend]
        for kind in ("end_to_end", "model_alone", "model_passages_only"):
            ratio = rates[backend].get(f"{kind}_x_torch")
            cells += [f"{rates[backend][kind]:.1f}", f"{ratio:.2f}×" if ratio is not None else "—"]
        table.add_row(*cells)
    return table


def _relative(folder: Path) -> str:
    """``folder`` relative to the repository root where it can be, so results name no machine's paths."""
    return os.path.relpath(folder.resolve(), ROOT)


if __name__ == "__main__":
    main()
