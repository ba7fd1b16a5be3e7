"""Run the service in a background thread on a free loopback port (tests and benchmarks)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI


@contextmanager
def background_server(app: FastAPI, start_timeout: float = 120.0) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 (port chosen by the OS); yield its base URL.

    Waits until the app's start-up (engine loading) has finished, and shuts the server down
    on exit. Raises ``RuntimeError`` if it does not start within ``start_timeout`` seconds.
    """
    config = uvicorn.Config(app, host="127.0.0.1", port=0, access_log=False, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("The server stopped during start-up; its log says why.")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"The server did not start within {start_timeout:.0f} s.")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
