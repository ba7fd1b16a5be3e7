"""Structured access log: one JSON line per request, with its latency.

Written as a plain ASGI middleware rather than ``BaseHTTPMiddleware`` so it adds no task or
stream wrapping to every request. Records go to the ``minutes.access`` logger; ``serve``
configures its output, tests read it through the logging module like any other logger.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ACCESS_LOGGER = "minutes.access"
access_log = logging.getLogger(ACCESS_LOGGER)


class AccessLogMiddleware:
    """Log method, path, status and milliseconds of every HTTP request as one JSON object."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before starting a response

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            record: dict[str, Any] = {
                "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            }
            client = scope.get("client")
            if client:
                record["client"] = client[0]
            access_log.info(json.dumps(record))


def configure_logging(level: str = "info") -> None:
    """Service logging for ``serve``: access lines as bare JSON, everything else timestamped."""
    numeric = logging.getLevelName(level.upper())
    logging.basicConfig(level=numeric, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    access_log.handlers[:] = [handler]
    access_log.setLevel(logging.INFO)
    # The access line is already complete JSON; the root handler's prefix would break it.
    access_log.propagate = False
