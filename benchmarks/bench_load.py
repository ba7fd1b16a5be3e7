"""Load benchmark of the HTTP service: requests/s and latency percentiles for /search and /ask.

Starts the real service (``server.main.serve``) in a child process on 127.0.0.1, over an index of
the seeds + dev corpus built with ``index.ingest.ingest`` into a temporary folder (or an existing
``--index``), and sends a fixed number of requests per endpoint at each concurrency level from an
asyncio httpx client. Bounded: ``--requests``/``--ask-requests`` per level and a total time cap;
traffic goes to 127.0.0.1 only. Exits 1 if any request failed.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_load.py
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_load.py --index var/bench-index --levels 1,8
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from minutes_qa.index.ingest import ingest  # noqa: E402 - after the path set-up, so the script runs from anywhere
from minutes_qa.settings import Settings  # noqa: E402

SHARED_CORPUS = ROOT.parent / "shared" / "corpus"
DEFAULT_CORPUS = [SHARED_CORPUS / "seeds", SHARED_CORPUS / "dev"]
HOST = "127.0.0.1"  # never anything else: the benchmark only talks to its own server
QUESTIONS = [
    "What did the board say about workforce risk?",
    "How is the Better Care Fund being spent?",
    "What are the waiting times for child and adolescent mental health services?",
    "Was council tax increased in the budget?",
    "What was decided about care home fees?",
    "How is the high needs block deficit being recovered?",
    "What did the external auditor report?",
    "What is the treasury management strategy?",
    "How many mental health beds are there?",
    "What was said about GP access?",
    "What did Ofsted find at the inspection?",
    "How much funding was given for hospital discharge?",
    "What changes were made to home to school transport?",
    "Did the pension fund divest from fossil fuels?",
    "What fees and charges apply to car parks?",
    "What is the integrated care strategy?",
]


@dataclass
class LevelResult:
    """Measurements of one endpoint at one concurrency level."""

    endpoint: str
    concurrency: int
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    server_cpu_seconds: float = 0.0
    cut_short: bool = False

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]

    def row(self) -> str:
        done = len(self.latencies_ms)
        rate = done / self.seconds if self.seconds else 0.0
        note = " (time cap)" if self.cut_short else ""
        cpu_ms = self.server_cpu_seconds * 1000 / done if done else float("nan")
        return (
            f"| {self.endpoint} | {self.concurrency} | {done}{note} | {len(self.errors)} | {rate:.1f} | "
            f"{statistics.median(self.latencies_ms) if done else float('nan'):.0f} | {self.percentile(0.95):.0f} | "
            f"{self.percentile(0.99):.0f} | {cpu_ms:.0f} |"
        )


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _build_index(paths: list[Path], index_dir: Path) -> None:
    settings = Settings(index_dir=index_dir)
    started = time.perf_counter()
    report = ingest(paths, index_dir, settings, progress=True)
    print(
        f"Indexed {report.documents} documents, {report.chunks} passages in {time.perf_counter() - started:.0f} s "
        f"({len(report.failed)} files failed)."
    )


def _start_server(index_dir: Path, port: int, log_path: Path) -> subprocess.Popen:
    env = os.environ | {
        "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
        "MINUTES_INDEX_DIR": str(index_dir), "MINUTES_HOST": HOST, "MINUTES_PORT": str(port),
    }
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-c", "from minutes_qa.server.main import serve; serve(log_level='warning')"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )


def _wait_ready(base: str, process: subprocess.Popen, timeout: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"The server exited during start-up:\n{log_path.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.5)
    raise SystemExit(f"The server did not answer /health within {timeout:.0f} s.")


async def _run_level(
    client: httpx.AsyncClient, endpoint: str, concurrency: int, requests: int, deadline: float, server_pid: int
) -> LevelResult:
    result = LevelResult(endpoint, concurrency)
    next_index = 0

    async def one(i: int) -> None:
        question = QUESTIONS[i % len(QUESTIONS)]
        started = time.perf_counter()
        try:
            if endpoint == "/search":
                response = await client.get("/search", params={"q": question, "k": 5})
            else:
                response = await client.post("/ask", json={"question": question, "k": 5})
            if response.status_code != 200:
                result.errors.append(f"{response.status_code}: {response.text[:200]}")
                return
        except httpx.HTTPError as error:
            result.errors.append(f"{type(error).__name__}: {error}")
            return
        result.latencies_ms.append((time.perf_counter() - started) * 1000)

    async def worker() -> None:
        nonlocal next_index
        while next_index < requests:
            if time.monotonic() > deadline:
                result.cut_short = True
                return
            i, next_index = next_index, next_index + 1
            await one(i)

    started, cpu_before = time.perf_counter(), _cpu_seconds(server_pid)
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    result.server_cpu_seconds = _cpu_seconds(server_pid) - cpu_before
    return result


async def _benchmark(base: str, server_pid: int, args: argparse.Namespace) -> list[LevelResult]:
    deadline = time.monotonic() + args.time_cap
    limits = httpx.Limits(max_connections=max(args.levels), max_keepalive_connections=max(args.levels))
    results = []
    async with httpx.AsyncClient(base_url=base, timeout=args.timeout, limits=limits) as client:
        for endpoint in ("/search", "/ask"):
            await _run_level(client, endpoint, 1, 3, deadline, server_pid)  # warm-up, not reported
            count = args.requests if endpoint == "/search" else args.ask_requests
            for level in args.levels:
                result = await _run_level(client, endpoint, level, count, deadline, server_pid)
                print(result.row(), flush=True)
                results.append(result)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, help="An existing index to serve (default: build one from --corpus).")
    parser.add_argument("--corpus", type=Path, nargs="+", default=DEFAULT_CORPUS, help="Minutes folders to index.")
    parser.add_argument("--levels", type=lambda text: [int(v) for v in text.split(",")], default=[1, 8, 32])
    parser.add_argument("--requests", type=int, default=200, help="/search requests per concurrency level.")
    parser.add_argument("--ask-requests", type=int, default=48, help="/ask requests per concurrency level.")
    parser.add_argument("--time-cap", type=float, default=900.0, help="Total seconds of load before stopping.")
    parser.add_argument("--timeout", type=float, default=120.0, help="Seconds before one request counts as failed.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-load-") as scratch:
        index_dir = args.index or Path(scratch) / "index"
        if args.index is None:
            _build_index(args.corpus, index_dir)
        port = _free_port()
        base = f"http://{HOST}:{port}"
        log_path = Path(scratch) / "server.log"
        server = _start_server(index_dir, port, log_path)
        try:
            _wait_ready(base, server, timeout=180, log_path=log_path)
            health = httpx.get(f"{base}/health").json()
            print(
                f"\nServing {health['index']['documents']} documents, {health['index']['passages']} passages "
                f"({health['model']}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}); "
                f"time cap {args.time_cap:.0f} s.\n"
            )
            print("| endpoint | concurrency | requests | errors | req/s | p50 ms | p95 ms | p99 ms | server CPU ms/req |")
            print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
            results = asyncio.run(_benchmark(base, server.pid, args))
        finally:
            server.terminate()
            server.wait(timeout=30)
    errors = [error for result in results for error in result.errors]
    print(f"\nErrors: {len(errors)}")
    for error in errors[:10]:
        print(f"  {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
