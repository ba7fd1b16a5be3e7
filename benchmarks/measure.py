"""Measuring helpers shared by the benchmarks: process memory from /proc, sizes on disk, percentiles.

Kept free of heavy imports, so that a benchmark's child process can measure itself before it
loads anything of the product.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np

_libc = ctypes.CDLL("libc.so.6")


def memory_mb() -> dict[str, float]:
    """Resident memory of this process (anonymous and file-backed) and its peak, from /proc."""
    wanted = {"VmRSS": "rss", "RssAnon": "anon", "RssFile": "file", "VmHWM": "peak"}
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in wanted:
            values[wanted[key]] = int(rest.split()[0]) / 1024
    return values


def settled_rss_mb() -> float:
    """RSS after handing freed heap back to the OS, so that deltas measure what is really held."""
    _libc.malloc_trim(0)
    return memory_mb()["rss"]


def disk_mb(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 2**20


def percentiles(latencies: list[float]) -> tuple[float, float]:
    return float(np.percentile(latencies, 50)), float(np.percentile(latencies, 95))
