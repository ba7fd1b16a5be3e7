"""``run_both``: one command starts the real service and the UI, prints both URLs, and one Ctrl-C stops both."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from index.ingest import ingest
from minutes.cli import app as cli
from minutes.settings import Settings
from rag.engine import shared_embedder

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 120
LAUNCH = "import sys; from pathlib import Path; from minutes.settings import get_settings; " \
    "from ui.launcher import run_both; run_both(get_settings(), Path(sys.argv[1]))"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        "serve" not in {command.name or command.callback.__name__ for command in cli.registered_commands},
        reason="`minutes serve` is not in minutes/cli.py yet; run_both starts the service with it",
    ),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _refuses(url: str) -> bool:
    try:
        httpx.get(url, timeout=2)
    except httpx.ConnectError:
        return True
    return False


def test_one_command_starts_both_and_one_ctrl_c_stops_both(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    embedder = shared_embedder(settings.model, settings.embed_backend, settings.embed_cache_dir)
    ingest([ROOT / "sample" / "corpus"], settings.index_dir, settings, progress=False, embedder=embedder)
    api_port, ui_port = _free_port(), _free_port()
    env = {**os.environ, "MINUTES_PORT": str(api_port), "MINUTES_UI_PORT": str(ui_port), "PYTHONUNBUFFERED": "1"}
    # Its own process group, so that the group signal below reaches the launcher and its
    # service child together, as a terminal's Ctrl-C does.
    launcher = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, str(settings.index_dir)], env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in launcher.stdout or []], daemon=True).start()
    output: list[str] = []
    try:
        deadline = time.monotonic() + START_SECONDS
        while not any("Press Ctrl-C to stop both" in line for line in output):
            assert launcher.poll() is None, "".join(output)
            assert time.monotonic() < deadline, "".join(output)
            try:
                output.append(lines.get(timeout=1))
            except queue.Empty:
                continue
        api_url, ui_url = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{ui_port}/"
        printed = "".join(output)
        assert f"Minutes service: {api_url}" in printed and f"Minutes UI:      {ui_url}" in printed
        assert httpx.get(f"{api_url}/health", timeout=10).json()["status"] == "ok"
        assert httpx.get(ui_url, timeout=10).status_code == 200

        os.killpg(launcher.pid, signal.SIGINT)

        assert launcher.wait(timeout=30) == 0
        assert _refuses(f"{api_url}/health") and _refuses(ui_url)
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
            launcher.wait()
