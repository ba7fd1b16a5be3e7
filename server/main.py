"""Run the service: ``serve(settings)``, called by ``minutes serve``."""

from __future__ import annotations

import os

import uvicorn

from minutes_qa.rag.engine import Engine
from minutes_qa.settings import Settings, get_settings

from .app import create_app
from .logging import configure_logging


def serve(settings: Settings | None = None, log_level: str = "info") -> None:
    """Load the engine for ``settings.index.index_dir`` and serve HTTP on ``settings.service.host:port`` until stopped.

    The engine is opened before the port is: a missing index or one built with another model
    raises its ``WritePathError`` (with the fix in its message) straight to the caller.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    settings = settings or get_settings()
    configure_logging(log_level)
    _limit_inference_threads(settings)
    engine = Engine.open(settings.index.index_dir, settings)
    app = create_app(settings, engine)
    # One process: the model and index are loaded once and shared by the request threads.
    # uvicorn's own access log is off; AccessLogMiddleware writes the structured one.
    uvicorn.run(app, host=settings.service.host, port=settings.service.port, access_log=False, log_config=None, log_level=log_level)


def _limit_inference_threads(settings: Settings) -> None:
    """Let concurrent requests, not intra-op threads, share the cores (``MINUTES_INFERENCE_THREADS``).

    With PyTorch's and FAISS's default of one OpenMP thread per core, every request's model
    call waits at OpenMP barriers for threads that other requests (or other processes) hold:
    on 2 busy cores one search measured ~1 s this way against ~25 ms single-threaded. So by
    default (0) FAISS and PyTorch get one thread; ONNX Runtime, whose workers do not spin, keeps
    every core (the engine passes the setting to its session): on 2 shared cores that served 73-83
    ``/ask`` a second at 8 clients against 63-67 with one thread (benchmarks/bench_latency.py).
    A number other than 0 applies to all three.
    """
    import faiss

    threads = settings.retrieval.inference_threads or 1
    faiss.omp_set_num_threads(threads)
    if settings.embedding.embed_backend == "torch":
        import torch

        torch.set_num_threads(threads)
