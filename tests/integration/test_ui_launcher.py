"""``minutes up``: one command starts the real service and the UI, prints both URLs, and one Ctrl-C stops both."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from minutes_qa.cli.app import app as cli
from minutes_qa.index.embedding import shared_embedder
from minutes_qa.index.ingest import ingest
from minutes_qa.settings import Settings
from support import REPO, free_port, sigint_for_children

ROOT = REPO
START_SECONDS = 120
# The launcher gives the UI 5 s and the service 10 s to stop; the rest is headroom for a busy machine.
STOP_SECONDS = 60
READY = "Press Ctrl-C to stop both."
STOPPING = "Stopping the UI and the minutes service"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        "serve" not in {command.name or command.callback.__name__ for command in cli.registered_commands},
        reason="`minutes serve` is not in minutes/cli.py yet; run_both starts the service with it",
    ),
]


@dataclass
class Launched:
    """A running ``minutes up`` and what it has printed so far."""

    process: subprocess.Popen[str]
    api_url: str
    ui_url: str
    lines: queue.Queue[str | None]
    output: list[str] = field(default_factory=list)

    def wait_for_line(self, text: str, seconds: float) -> None:
        """Block until a printed line contains ``text``; fail if the process ends or ``seconds`` pass first."""
        deadline = time.monotonic() + seconds
        while not self.output or text not in self.output[-1]:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no {text!r} within {seconds} s:\n{''.join(self.output)}")
            assert line is not None, f"`minutes up` exited ({self.process.wait()}) before {text!r}:\n{''.join(self.output)}"
            self.output.append(line)

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.api_url}/health", timeout=30).json()["status"] == "ok"
        except httpx.HTTPError:
            return False

    def printed(self) -> str:
        """Everything printed so far, for failure messages."""
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return "".join(self.output)
            if line is not None:
                self.output.append(line)

    def stopped_cleanly(self) -> bool:
        """It exited 0 and neither the service nor the UI answers any more (``output`` then holds everything printed)."""
        returncode = self.process.wait(timeout=STOP_SECONDS)
        while (line := self.lines.get(timeout=STOP_SECONDS)) is not None:
            self.output.append(line)
        return returncode == 0 and _refuses(f"{self.api_url}/health") and _refuses(self.ui_url)


def _refuses(url: str) -> bool:
    try:
        httpx.get(url, timeout=2)
    except httpx.ConnectError:
        return True
    return False


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = Settings(index_dir=tmp_path_factory.mktemp("launcher") / "index")
    embedder = shared_embedder(settings.embedding)
    ingest([ROOT / "sample" / "corpus"], settings.index.index_dir, settings, progress=False, embedder=embedder)
    return settings.index.index_dir


@pytest.fixture
def launch(index_dir: Path) -> Iterator[Callable[..., Launched]]:
    """Start ``minutes up`` in a process group of its own, as a terminal runs a command, and wait until
    it says it is ready: it prints that line after the service answers and the UI is up, with its
    signal handlers already in place, so a signal sent after it never meets a half-started launcher."""
    started: list[Launched] = []

    def start(sigint_ignored: bool = False) -> Launched:
        api_port, ui_port = free_port(), free_port()
        env = {**os.environ, "MINUTES_PORT": str(api_port), "MINUTES_UI_PORT": str(ui_port), "PYTHONUNBUFFERED": "1"}
        with sigint_for_children(ignored=sigint_ignored):
            process = subprocess.Popen(
                [sys.executable, "-m", "minutes_qa.cli", "up", "--index", str(index_dir)], cwd=ROOT, env=env, text=True,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
            )
        lines: queue.Queue[str | None] = queue.Queue()

        def read() -> None:
            for line in process.stdout or []:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read, daemon=True).start()
        launched = Launched(process, f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{ui_port}/", lines)
        started.append(launched)
        launched.wait_for_line(READY, START_SECONDS)
        return launched

    yield start
    for launched in started:
        if launched.process.poll() is None:
            # SIGTERM first: the launcher then stops its service, which has a process group of its own.
            launched.process.terminate()
            try:
                launched.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(launched.process.pid, signal.SIGKILL)
                launched.process.wait()


def test_one_command_starts_both_and_one_ctrl_c_stops_both(launch: Callable[..., Launched]) -> None:
    launched = launch()
    printed = "".join(launched.output)
    assert f"Minutes service: {launched.api_url}" in printed and f"Minutes UI:      {launched.ui_url}" in printed
    assert launched.healthy(), launched.printed()
    assert httpx.get(launched.ui_url, timeout=10).status_code == 200

    # A terminal's Ctrl-C signals the whole foreground process group.
    os.killpg(launched.process.pid, signal.SIGINT)

    assert launched.stopped_cleanly(), launched.printed()


def test_a_second_ctrl_c_while_stopping_still_stops_both_cleanly(launch: Callable[..., Launched]) -> None:
    launched = launch()
    os.killpg(launched.process.pid, signal.SIGINT)
    launched.wait_for_line(STOPPING, STOP_SECONDS)

    os.killpg(launched.process.pid, signal.SIGINT)

    assert launched.stopped_cleanly(), launched.printed()


def test_sigterm_stops_both_cleanly(launch: Callable[..., Launched]) -> None:
    launched = launch()
    launched.process.terminate()
    assert launched.stopped_cleanly(), launched.printed()


def test_as_a_background_job_a_ctrl_c_stops_neither(launch: Callable[..., Launched]) -> None:
    # A shell starts a background job with SIGINT ignored. The service must not stop on that
    # Ctrl-C behind the launcher's back (it used to, and the launcher then reported it as a crash).
    launched = launch(sigint_ignored=True)
    os.killpg(launched.process.pid, signal.SIGINT)
    # The group's Ctrl-C reached only the launcher, which ignores it; the service, in a group of
    # its own, never saw it and still answers.
    assert launched.healthy(), launched.printed()

    launched.process.terminate()

    assert launched.stopped_cleanly(), launched.printed()
    assert "stopped unexpectedly" not in "".join(launched.output)
