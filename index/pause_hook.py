"""A test hook that holds the write path at a named stage, so that a test can interrupt it there.

Tests of an interrupted ingest must stop it at a known point (while embedding, while writing the
staging folder) whatever the embedding backend or the machine's speed. With
``MINUTES_TEST_PAUSE_AT=<stage>`` in its environment, a process that reaches ``<stage>`` prints
``PAUSE_MARKER <stage>`` as one line on stderr and then waits there until a signal ends it
(SIGINT raises ``KeyboardInterrupt`` at that point, SIGKILL kills it). Stages: ``embedding`` (new
passages are chunked and about to be embedded) and ``writing`` (the staging folder holds the
SQLite store, not yet the vectors, indexes or manifest). Without the variable, nothing happens.
"""

from __future__ import annotations

import os
import signal
import sys

PAUSE_ENV = "MINUTES_TEST_PAUSE_AT"
PAUSE_MARKER = "minutes-test-hook: paused at"
STAGES = ("embedding", "writing")


def pause_at(stage: str) -> None:
    """Block here for good if ``MINUTES_TEST_PAUSE_AT`` names ``stage``; return at once otherwise."""
    assert stage in STAGES, f"unknown pause stage {stage!r}"
    if os.environ.get(PAUSE_ENV) != stage:
        return
    print(f"{PAUSE_MARKER} {stage}", file=sys.stderr, flush=True)
    # A loop, not one pause(): a signal whose handler returns (SIGWINCH, SIGCHLD...) must not
    # let the ingest carry on past the point the test is about to interrupt.
    while True:
        signal.pause()
