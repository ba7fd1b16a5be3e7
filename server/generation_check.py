"""How often a request may look for a newer index generation: at most once a second.

Looking means reading the index's ``CURRENT`` pointer and the generation's manifest from disk;
doing it on every request put file I/O on the hot path of each search. An ingest by the CLI
shows up at most a second later; uploads through the service reload the engine themselves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

CHECK_INTERVAL_SECONDS = 1.0


class GenerationCheck:
    """Says when the next look is due: one caller per ``interval`` gets True, everyone else False."""

    def __init__(self, interval: float = CHECK_INTERVAL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._clock = clock
        self._last: float | None = None
        self._lock = threading.Lock()

    def due(self) -> bool:
        """True if no look was due within the last ``interval``; the caller then looks."""
        now = self._clock()
        with self._lock:
            if self._last is not None and now - self._last < self._interval:
                return False
            self._last = now
            return True
