"""Duplicate detection at scale: the ingest's pass with the store's index policy, against exact all-pairs search.

A synthetic corpus as ``bench_serve_memory.py`` builds it (real sentences of the seed and dev
minutes recombined to real passage lengths, three documents' worth of real metadata patterns;
``--sample`` passages embedded for real, the rest's vectors synthesised from them), in which 1% of
passages are made near repeats of an earlier one (found: marked as a duplicate, of it or of an
earlier copy of it, as recombined real sentences also repeat by chance) (one word changed, the vector moved by a little
noise). For each size, ``index.duplicates.find_duplicates`` runs with the index kind the ingest
would pick (``choose_index_type``: exact below 200,000 passages, IVF beyond) and, up to
``--flat-max`` passages, with the exact search it used for every size before; the neighbour
search is also timed on its own. Prints seconds, passages/s, growth of peak RSS and the share of
planted repeats found. Figures, not a test. Writes benchmarks/results/duplicates.json.

    .venv/bin/python benchmarks/bench_duplicates.py [--sizes 100000,1000000] [--flat-max 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from functools import partial
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
from bench_scale import synthetic_vectors  # noqa: E402
from bench_serve_memory import synthetic_minutes  # noqa: E402

from minutes_qa.index.duplicates import find_duplicates, nearest_neighbours  # noqa: E402
from minutes_qa.index.embedding import load_embedder  # noqa: E402
from minutes_qa.index.records import Chunk  # noqa: E402
from minutes_qa.index.vector_index import choose_index_type  # noqa: E402
from minutes_qa.settings import Settings  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
REPEAT_SHARE = 0.01
REPEAT_NOISE = 0.05
THRESHOLD = Settings().index.near_duplicate_threshold


def plant_repeats(chunks: list[Chunk], vectors: np.ndarray, seed: int = 11) -> dict[str, str]:
    """Make 1% of passages near repeats of an earlier one, in place; returns repeat id -> original id."""
    rng = np.random.default_rng(seed)
    count = len(chunks)
    planted: dict[str, str] = {}
    for row in rng.choice(np.arange(count // 2, count), size=int(count * REPEAT_SHARE), replace=False).tolist():
        original = int(rng.integers(count // 2))
        if chunks[original].chunk_id in planted:
            continue
        words = chunks[original].text.split(" ")
        words[int(rng.integers(len(words)))] = "amended"
        text = " ".join(words)
        chunks[row] = Chunk(
            chunk_id=chunks[row].chunk_id, doc_id=chunks[row].doc_id, ordinal=chunks[row].ordinal,
            start=chunks[row].start, end=chunks[row].start + len(text), text=text, heading=chunks[row].heading,
        )
        moved = vectors[original] + rng.standard_normal(vectors.shape[1]).astype(np.float32) * REPEAT_NOISE
        vectors[row] = moved / np.linalg.norm(moved)
        planted[chunks[row].chunk_id] = chunks[original].chunk_id
    return planted


def reset_peak_rss() -> int:
    """Reset the kernel's peak-RSS mark (Linux) and return the current RSS in MB."""
    Path("/proc/self/clear_refs").write_text("5")
    return rss_mb("VmRSS")


def rss_mb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def measure(function) -> dict:
    """Seconds, growth of peak RSS and the value of ``function()``."""
    before = reset_peak_rss()
    started = time.perf_counter()
    value = function()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_rss_growth_mb": rss_mb("VmHWM") - before, "value": value}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="Corpus sizes, comma-separated.")
    parser.add_argument("--flat-max", type=int, default=100_000, help="Largest size also run with exact search.")
    parser.add_argument("--sample", type=int, default=2000, help="Passages embedded for real.")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size]
    settings = Settings()
    embedder = load_embedder(settings.embedding)
    _, all_chunks = synthetic_minutes(max(sizes), embedder, settings)
    real_vectors = embedder.encode([chunk.embed_text for chunk in all_chunks[: args.sample]])
    all_vectors = synthetic_vectors(real_vectors, max(sizes))

    rows = []
    for size in sizes:
        chunks = list(all_chunks[:size])
        vectors = all_vectors[:size].copy()
        planted = plant_repeats(chunks, vectors)
        kinds = [choose_index_type(size, settings.index)] + (["flat"] if size <= args.flat_max else [])
        for kind in dict.fromkeys(kinds):
            neighbours = measure(partial(nearest_neighbours, vectors, 8, kind))
            whole = measure(partial(find_duplicates, chunks, vectors, THRESHOLD, kind))
            found = whole.pop("value")
            neighbours.pop("value")
            row = {
                "passages": size, "index": kind, "seconds": whole["seconds"], "passages_per_s": size / whole["seconds"],
                "neighbour_search_seconds": neighbours["seconds"], "peak_rss_growth_mb": whole["peak_rss_growth_mb"],
                "planted": len(planted), "planted_found": sum(key in found for key in planted),
                "marked": len(found),
            }
            rows.append(row)
            print(f"{size:>9,} passages, {kind:5}: {row['seconds']:7.1f} s ({row['passages_per_s']:8.0f} passages/s; "
                  f"neighbour search {row['neighbour_search_seconds']:6.1f} s), peak RSS +{row['peak_rss_growth_mb']:,} MB, "
                  f"planted repeats found {row['planted_found']:,} of {row['planted']:,}, {row['marked']:,} marked",
                  flush=True)

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "duplicates.json").write_text(json.dumps({
        "rows": rows, "threshold": THRESHOLD,
        "machine": {"cores": os.cpu_count(), "load_average": os.getloadavg()[0], "python": platform.python_version()},
    }, indent=2), encoding="utf-8")
    print(f"Wrote {RESULTS / 'duplicates.json'}")


if __name__ == "__main__":
    main()
