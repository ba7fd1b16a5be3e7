"""``/ask`` latency side by side: the tutorial RAG pipeline against our service, over HTTP, same corpus and questions.

The tutorial pipeline is built here, as bm25s ships its comparisons: the seed and dev minutes cut
into 1,000-character windows, bm25s (English stop words) and the project's packaged MiniLM in a
flat FAISS inner-product index, reciprocal rank fusion of the two top-10 lists, and the top window
returned as the answer, from a tiny FastAPI app on 127.0.0.1 taking the same ``POST /ask`` body.
Its MiniLM runs as the model is published, in float32, on the fastest float32 runtime we have
(``--tutorial-backend onnx``, our ONNX export, faster than PyTorch); ``--tutorial-backend
onnx-int8`` gives it our quantised model too.

Our service is what ``minutes serve`` runs (``server.main.serve``, settings from the environment)
over an index of the same files (ingested here into a temporary folder unless ``--index`` names
one). Two instances run: one answers ``/ask``, the other ``/search``, so that neither request
finds the question's embedding already cached by the other (the tutorial caches nothing).
Each runs in its own process; one client sends every question of ``eval/*.jsonl`` to each in
turn (which goes first alternates), plus our ``GET /search`` with the same words, and the floor of
any answer with this model over HTTP: a ``POST /embed`` to the tutorial's app that embeds the
question and returns. Prints p50/p95 and the ratios. Then concurrency 1/8/32 against our ``/ask``: latency, errors, throughput.
Figures, not a test. Writes benchmarks/results/latency.json (latency-tutorial-BACKEND.json for another tutorial backend).

    .venv/bin/python benchmarks/bench_latency.py [--shared ../shared] [--index var/index] [--rounds 1]
        [--tutorial-backend onnx]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import httpx  # noqa: E402
from pydantic import BaseModel  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO.parent / "shared"
RESULTS = Path(__file__).resolve().parent / "results"
WINDOW_CHARS = 1000
TOP_K = 10
RRF_K = 60
STARTUP_SECONDS = 600


# --- the tutorial pipeline (runs in its own process: ``--serve-tutorial``) ---------------------


class Ask(BaseModel):
    """The tutorial's ``POST /ask`` body: our service's, less filters and history."""

    question: str
    k: int | None = None


def serve_tutorial(shared: Path, port: int, backend: str) -> None:
    """Build the tutorial pipeline over the seed and dev corpora, its MiniLM on ``backend``, and serve
    ``POST /ask`` until killed."""
    import bm25s
    import faiss
    import numpy as np
    import uvicorn
    from fastapi import FastAPI

    from minutes_qa.index.embedding import load_embedder
    from minutes_qa.settings import Settings

    windows: list[dict] = []
    for folder in (shared / "corpus" / "seeds", shared / "corpus" / "dev"):
        for path in sorted(folder.glob("*.txt")):
            text = path.read_text(encoding="utf-8")
            for start in range(0, len(text), WINDOW_CHARS):
                windows.append({"file": path.name, "start": start, "text": text[start : start + WINDOW_CHARS]})
    texts = [window["text"] for window in windows]
    keyword = bm25s.BM25()
    keyword.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
    embedder = load_embedder(Settings(embed_backend=backend).embedding)
    dense = faiss.IndexFlatIP(embedder.dimension)
    dense.add(embedder.encode(texts, batch_size=32).astype(np.float32))

    app = FastAPI()

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "windows": len(windows)}

    @app.post("/embed")
    def embed(body: Ask) -> dict:
        # The floor of any answer over HTTP with this model: the round trip and the question's embedding.
        return {"dimension": int(embedder.encode([body.question]).shape[1])}

    @app.post("/ask")
    def ask(body: Ask) -> dict:
        tokens = bm25s.tokenize([body.question], stopwords="en", return_ids=False, show_progress=False)
        keyword_rows, _ = keyword.retrieve(tokens, k=TOP_K, show_progress=False, n_threads=1)
        _, dense_rows = dense.search(embedder.encode([body.question])[None, 0], TOP_K)
        fused: dict[int, float] = {}
        for ranking in (keyword_rows[0].tolist(), dense_rows[0].tolist()):
            for rank, row in enumerate(ranking, start=1):
                fused[row] = fused.get(row, 0.0) + 1.0 / (RRF_K + rank)
        order = sorted(fused, key=lambda row: -fused[row])[: body.k or 5]
        passages = [
            {"id": f"w{row}", "rank": rank, "score": fused[row], "text": windows[row]["text"],
             "source": {"file": windows[row]["file"], "start": windows[row]["start"],
                        "end": windows[row]["start"] + len(windows[row]["text"])}}
            for rank, row in enumerate(order, start=1)
        ]
        top = passages[0]
        return {"question": body.question, "answer": top["text"], "abstained": False,
                "citations": [{"n": 1, "passage_id": top["id"], "quote": top["text"]}], "passages": passages}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- the benchmark -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command: list[str], port: int, environment: dict[str, str], log: Path) -> subprocess.Popen:
    """Start a server and return once its ``/health`` answers (or fail with its log)."""
    # The server writes to its own copy of the file descriptor, so ours can be closed once it has started.
    with open(log, "w") as handle:
        process = subprocess.Popen(command, cwd=REPO, env=environment, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{command[0]} exited with {process.returncode}; its log:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.5)  # polling a server that is still loading; the deadline bounds it
    process.kill()
    raise SystemExit(f"{command} did not answer /health within {STARTUP_SECONDS} s; see {log}")


def load_questions(shared: Path) -> list[str]:
    questions = []
    for path in sorted((shared / "eval").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                questions.append(json.loads(line)["question"])
    return questions


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50_ms": percentile(values, 0.5), "p95_ms": percentile(values, 0.95),
            "mean_ms": statistics.fmean(values)}


def timed_request(client: httpx.Client, method: str, url: str, **kwargs) -> float:
    started = time.perf_counter()
    response = client.request(method, url, **kwargs)
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed


def single_client(tutorial: str, ours: str, our_search: str, questions: list[str], rounds: int) -> dict[str, list[float]]:
    """Every question to both services, alternating which goes first, plus /search to our other instance."""
    times: dict[str, list[float]] = {"tutorial /ask": [], "ours /ask": [], "ours /search": [], "floor": []}
    with httpx.Client(timeout=120) as client:
        for question in questions[:3]:  # warm-up: first requests pay for lazy imports and caches
            timed_request(client, "POST", f"{tutorial}/ask", json={"question": question})
            timed_request(client, "POST", f"{ours}/ask", json={"question": question})
            timed_request(client, "GET", f"{our_search}/search", params={"q": question})
        for round_number in range(rounds):
            for number, question in enumerate(questions):
                calls = [
                    ("tutorial /ask", "POST", f"{tutorial}/ask", {"json": {"question": question}}),
                    ("ours /ask", "POST", f"{ours}/ask", {"json": {"question": question}}),
                ]
                if (number + round_number) % 2:
                    calls.reverse()
                calls.append(("ours /search", "GET", f"{our_search}/search", {"params": {"q": question}}))
                calls.append(("floor", "POST", f"{tutorial}/embed", {"json": {"question": question}}))
                for name, method, url, kwargs in calls:
                    times[name].append(timed_request(client, method, url, **kwargs))
    return times


def concurrent(ours: str, questions: list[str], level: int, requests: int) -> dict[str, float]:
    """``requests`` /ask calls from ``level`` clients at once: latency, errors and throughput."""
    latencies: list[float] = []
    errors: list[str] = []

    def worker(offset: int) -> None:
        with httpx.Client(timeout=300) as client:
            for number in range(offset, requests, level):
                question = questions[number % len(questions)]
                started = time.perf_counter()
                try:
                    response = client.post(f"{ours}/ask", json={"question": question})
                    if response.status_code != 200:
                        errors.append(f"HTTP {response.status_code}")
                except httpx.HTTPError as error:
                    errors.append(type(error).__name__)
                latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=level) as pool:
        list(pool.map(worker, range(level)))
    wall = time.perf_counter() - started
    return {"clients": level, "requests": requests, "errors": len(errors), "error_kinds": sorted(set(errors)),
            "throughput_per_s": requests / wall, **summary(latencies)}


def ensure_index(shared: Path, index: Path | None, scratch: Path) -> Path:
    if index is not None:
        return index
    from minutes_qa.index.ingest import ingest
    from minutes_qa.settings import Settings

    target = scratch / "index"
    print(f"Ingesting {shared}/corpus/seeds and dev into {target} ...", flush=True)
    started = time.perf_counter()
    ingest([shared / "corpus" / "seeds", shared / "corpus" / "dev"], target, Settings(), progress=False)
    print(f"  ingested in {time.perf_counter() - started:.0f} s", flush=True)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="The shared folder (corpus/, eval/).")
    parser.add_argument("--index", type=Path, help="An existing index of seeds + dev (default: ingest one).")
    parser.add_argument("--rounds", type=int, default=1, help="Passes over the questions in the single-client run.")
    parser.add_argument("--levels", default="1,8,32", help="Concurrent clients to try against our service.")
    parser.add_argument("--requests", type=int, default=96, help="Requests per concurrency level.")
    parser.add_argument("--tutorial-backend", default="onnx", choices=("onnx", "onnx-int8", "torch"),
                        help="How the tutorial's MiniLM runs (default: float32 ONNX, as the model is published).")
    parser.add_argument("--serve-tutorial", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    shared = args.shared.resolve()
    if args.serve_tutorial:
        serve_tutorial(shared, args.port, args.tutorial_backend)
        return
    if not (shared / "corpus" / "seeds").is_dir():
        raise SystemExit(f"No corpus under {shared}: pass --shared PATH (the folder with corpus/ and eval/).")
    questions = load_questions(shared)
    processes: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as folder:
        scratch = Path(folder)
        index = ensure_index(shared, args.index, scratch)
        environment = dict(os.environ)
        tutorial_port, our_port, search_port = free_port(), free_port(), free_port()
        try:
            print("Starting the tutorial pipeline and our service ...", flush=True)
            processes.append(start(
                [sys.executable, __file__, "--serve-tutorial", "--shared", str(shared), "--port", str(tutorial_port),
                 "--tutorial-backend", args.tutorial_backend],
                tutorial_port, environment, scratch / "tutorial.log",
            ))
            # What ``minutes serve`` runs, without loading the rest of the CLI.
            for port, log in ((our_port, "ours.log"), (search_port, "ours-search.log")):
                service_environment = {**environment, "MINUTES_INDEX_DIR": str(index.resolve()), "MINUTES_PORT": str(port)}
                processes.append(start(
                    [sys.executable, "-c", "from minutes_qa.server.main import serve; serve(log_level='warning')"],
                    port, service_environment, scratch / log,
                ))
            tutorial, ours = f"http://127.0.0.1:{tutorial_port}", f"http://127.0.0.1:{our_port}"
            our_search = f"http://127.0.0.1:{search_port}"
            print(f"{len(questions)} questions x {args.rounds} round(s), one client, interleaved ...", flush=True)
            times = single_client(tutorial, ours, our_search, questions, args.rounds)
            levels = [int(level) for level in args.levels.split(",") if level]
            loads = []
            for level in levels:
                print(f"Concurrency {level} ...", flush=True)
                loads.append(concurrent(ours, questions, level, max(args.requests, level)))
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()

    singles = {name: summary(values) for name, values in times.items()}
    base = singles["tutorial /ask"]
    from minutes_qa.settings import Settings

    our_backend = Settings().embedding.embed_backend
    print(f"\nSingle client over HTTP, {len(questions)} questions x {args.rounds}, seeds + dev "
          f"({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}); "
          f"MiniLM on {args.tutorial_backend} in the tutorial, on {our_backend} in ours")
    print(f"{'':16}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}{'p50 / tutorial':>16}{'p95 / tutorial':>16}")
    for name, figures in singles.items():
        print(f"{name:16}{figures['p50_ms']:9.1f}{figures['p95_ms']:9.1f}{figures['mean_ms']:9.1f}"
              f"{figures['p50_ms'] / base['p50_ms']:15.2f}x{figures['p95_ms'] / base['p95_ms']:15.2f}x")
    print("floor: the round trip and the question's embedding alone (the tutorial's app, no search)")
    print("\nOur /ask under concurrent clients")
    print(f"{'clients':>8}{'requests':>10}{'errors':>8}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}")
    for load in loads:
        print(f"{load['clients']:8}{load['requests']:10}{load['errors']:8}{load['throughput_per_s']:8.1f}"
              f"{load['p50_ms']:9.1f}{load['p95_ms']:9.1f}" + (f"  {load['error_kinds']}" if load["errors"] else ""))

    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "questions": len(questions), "rounds": args.rounds, "single_client": singles, "concurrency": loads,
        "tutorial_backend": args.tutorial_backend, "our_backend": our_backend,
        "ratios": {name: figures["p50_ms"] / base["p50_ms"] for name, figures in singles.items()},
        "inference_threads": os.environ.get("MINUTES_INFERENCE_THREADS", "default"),
        "machine": {"cores": os.cpu_count(), "load_average": os.getloadavg()[0], "python": platform.python_version()},
    }
    name = "latency.json" if args.tutorial_backend == "onnx" else f"latency-tutorial-{args.tutorial_backend}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"\nWrote {RESULTS / name}")


if __name__ == "__main__":
    main()
