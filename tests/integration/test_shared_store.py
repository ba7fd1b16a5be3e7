"""Several service processes on one engine-held index (issue 15): same answers, and an ingest seen by all.

Real processes throughout: a Milvus server (milvus-lite's gRPC server, a process of its own, as a
cluster would be), two ``minutes serve`` processes pointed at it with ``MINUTES_STORE=milvus://...``
and nothing local but their settings, and an ingest from this process as the one writer.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from minutes_qa.index.embedding import Embedder
from minutes_qa.index.ingest import ingest
from minutes_qa.settings import Settings
from support import SAMPLE_CORPUS, free_port

QUESTION = "What did the board say about workforce risk?"
NEW_MINUTES = """Meeting: 12/05/2023 - Environment Committee (Item 4)

4 Quokka Meadow rewilding scheme

Minutes:

The committee considered the Quokka Meadow rewilding scheme, which would convert twelve hectares of council
farmland into wildflower meadow and wetland. The officer confirmed that a biodiversity grant funded the scheme.

RESOLVED: that the Quokka Meadow rewilding scheme be approved.
"""
# Bounds that turn a hung process into a failure, not waits for luck: each ends as soon as its condition holds.
START_SECONDS = 180
# A service looks for a new generation at most once a second (server/generation_check.py).
VISIBLE_SECONDS = 30


class _Process:
    """A child process whose output is collected in the background (so its pipe never fills)."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path) -> None:
        self.process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.output = ""
        self._line = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._line:
                self.output += line
                self._line.notify_all()
        with self._line:
            self._line.notify_all()

    def wait_for(self, text: str, seconds: float) -> None:
        """Block until ``text`` has been printed; fail if the process exits or ``seconds`` pass first."""
        with self._line:
            finished = self._line.wait_for(lambda: text in self.output or self.process.poll() is not None, seconds)
        assert finished and text in self.output, f"never printed {text!r}:\n{self.output[-3000:]}"

    def wait_for_exit_or(self, seconds: float) -> None:
        """Pause a polling loop for up to ``seconds``, returning early if the process exits."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=seconds)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def milvus_server(tmp_path: Path) -> Iterator[str]:
    """A Milvus server on a loopback port: ``MINUTES_STORE`` naming it."""
    port = free_port()
    server = _Process(
        [sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(tmp_path / "milvus.db"), "--host", "127.0.0.1",
         "--port", str(port)],
        {**os.environ, "PYTHONUNBUFFERED": "1"}, tmp_path,
    )
    try:
        server.wait_for("gRPC server listening", START_SECONDS)
        yield f"milvus://127.0.0.1:{port}/council_minutes"
    finally:
        server.stop()


def _serve(store: str, index_dir: Path, cwd: Path) -> tuple[_Process, str]:
    port = free_port()
    env = {**os.environ, "MINUTES_STORE": store, "MINUTES_INDEX_DIR": str(index_dir), "PYTHONUNBUFFERED": "1",
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    service = _Process([sys.executable, "-m", "minutes_qa.cli", "serve", "--host", "127.0.0.1", "--port", str(port)], env, cwd)
    return service, f"http://127.0.0.1:{port}"


def _healthy(base: str, service: _Process) -> None:
    """Wait until ``base`` answers /health (its engine loaded)."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        assert service.process.poll() is None, f"the service exited:\n{service.output[-3000:]}"
        try:
            if httpx.get(f"{base}/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        service.wait_for_exit_or(0.2)
    raise AssertionError(f"{base} never became healthy:\n{service.output[-3000:]}")


def _finds_new_minutes(base: str) -> bool:
    passages = httpx.get(f"{base}/search", params={"q": "Quokka Meadow rewilding", "k": 3}, timeout=60).json()["passages"]
    return any(passage["source"]["file"] == "quokka.txt" for passage in passages)


def _answer(base: str) -> dict:
    response = httpx.post(f"{base}/ask", json={"question": QUESTION}, timeout=120)
    assert response.status_code == 200, response.text
    body = response.json()
    # Links carry the service's own address, and the answer id is signed with the service's own
    # feedback key (kept in its feedback database, local: see docs/scale-out.md); everything else
    # must be the same from either service.
    for passage in body["passages"]:
        passage["source"].pop("view_url", None)
    assert body.pop("answer_id")
    return body


def test_two_services_answer_alike_and_both_see_a_new_ingest(
    tmp_path: Path, milvus_server: str, settings: Settings, embedder: Embedder
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in sorted(SAMPLE_CORPUS.glob("*.txt"))[:3]:
        shutil.copy(path, corpus / path.name)
    writer = settings.replace(store=milvus_server, index_dir=tmp_path / "writer")
    first = ingest([corpus], writer.index.index_dir, writer, progress=False, embedder=embedder)
    assert first.documents == 3 and not first.failed

    services = [_serve(milvus_server, tmp_path / f"service-{n}", tmp_path) for n in (1, 2)]
    try:
        for service, base in services:
            _healthy(base, service)
        (one, base_one), (two, base_two) = services
        assert _answer(base_one) == _answer(base_two)
        assert not _finds_new_minutes(base_one) and not _finds_new_minutes(base_two)

        (corpus / "quokka.txt").write_text(NEW_MINUTES, encoding="utf-8")
        second = ingest([corpus], writer.index.index_dir, writer, progress=False, embedder=embedder)
        assert second.added and second.generation != first.generation
        for service, base in services:
            deadline = time.monotonic() + VISIBLE_SECONDS
            while not _finds_new_minutes(base):
                assert time.monotonic() < deadline, f"{base} never saw the new ingest:\n{service.output[-3000:]}"
                service.wait_for_exit_or(0.2)
            assert httpx.get(f"{base}/health", timeout=10).json()["index"]["documents"] == 4
        assert _answer(base_one) == _answer(base_two)
    finally:
        for service, _ in services:
            service.stop()
