"""``minutes up``: the service and the UI from one command, stopped together by one Ctrl-C.

The service runs as a child process (``python -m minutes_qa.cli serve``) so that the UI package
never imports the server; the UI runs in this process and talks to the child over HTTP.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from minutes_qa.client import MinutesClient, ServiceError
from minutes_qa.contract import RequestLimits
from minutes_qa.settings import Settings

from .app import start_ui

# Loading the embedding model and the index takes seconds on a laptop; a cold disk more.
SERVICE_START_SECONDS = 180.0
# How long the service gets to finish in-flight requests after Ctrl-C before it is killed.
SERVICE_STOP_SECONDS = 10.0
# Ctrl-C, a process manager's stop and the terminal closing all mean "stop both".
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class LaunchError(RuntimeError):
    """The service or the UI could not be started or stopped unexpectedly; the message says which."""


def run_both(settings: Settings, index_dir: Path) -> None:
    """Start the service on ``settings.service.host:port`` over ``index_dir`` and the UI on ``ui_host:ui_port``.

    Prints both URLs once both answer, then runs until Ctrl-C (or SIGTERM, or the terminal closing),
    which stops both and returns normally. Raises :class:`LaunchError` if either cannot start, or if
    the service dies while running.
    """
    api_url = f"http://{_reachable_host(settings.service.host)}:{settings.service.port}"
    command = [
        sys.executable, "-m", "minutes_qa.cli", "serve",
        "--index", str(index_dir), "--host", settings.service.host, "--port", str(settings.service.port),
    ]
    # A signal this process was started ignoring stays ignored: a shell ignores SIGINT for its
    # background jobs and nohup ignores SIGHUP, on purpose.
    previous_handlers = {
        sig: signal.signal(sig, _interrupt) for sig in _STOP_SIGNALS if signal.getsignal(sig) is not signal.SIG_IGN
    }
    service: subprocess.Popen[bytes] | None = None
    demo = None
    try:
        # The service gets a process group of its own, so that a terminal's Ctrl-C (sent to the
        # whole foreground group) reaches only this process, which then stops the UI and the
        # service in order. In our group, the service (uvicorn handles SIGINT even where it was
        # ignored) could stop on a Ctrl-C that this process ignores or has not handled yet, and
        # the loop below would report that as a crash (exit status 1).
        service = subprocess.Popen(command, process_group=0)
        _wait_until_healthy(service, api_url, settings.ui.api_timeout_seconds)
        try:
            demo = start_ui(settings.ui, RequestLimits.of(settings), api_url)
        except OSError as error:
            raise LaunchError(f"The UI could not start on {settings.ui.ui_host}:{settings.ui.ui_port}: {error}") from error
        print(f"\nMinutes service: {api_url}  (API docs at {api_url}/docs)", flush=True)
        print(f"Minutes UI:      {demo.local_url}", flush=True)
        print("Press Ctrl-C to stop both.", flush=True)
        while service.poll() is None:
            time.sleep(0.2)
        raise LaunchError(
            f"The minutes service stopped unexpectedly (exit code {service.returncode}); its messages are above. "
            "The UI has been stopped too."
        )
    except KeyboardInterrupt:
        print("\nStopping the UI and the minutes service…", flush=True)
    finally:
        _ignore_stop_signals()
        try:
            if demo is not None:
                demo.close()
            if service is not None:
                _stop(service)
        finally:
            for sig, handler in previous_handlers.items():
                signal.signal(sig, handler)


def _wait_until_healthy(service: subprocess.Popen[bytes], api_url: str, timeout_seconds: float) -> None:
    client = MinutesClient(api_url, timeout_seconds)
    deadline = time.monotonic() + SERVICE_START_SECONDS
    last_problem = ""
    try:
        while time.monotonic() < deadline:
            if service.poll() is not None:
                raise LaunchError(
                    f"The minutes service exited before it was ready (exit code {service.returncode}); "
                    "its messages are above."
                )
            try:
                client.health()
                return
            except ServiceError as error:
                # Expected while the service loads its model; kept for the message if it never comes up.
                last_problem = str(error)
            time.sleep(0.5)
    finally:
        client.close()
    raise LaunchError(
        f"The minutes service did not become ready within {SERVICE_START_SECONDS:g} seconds. Last problem: {last_problem}"
    )


def _stop(service: subprocess.Popen[bytes]) -> None:
    """Ask the service to finish (SIGINT, as Ctrl-C would), then insist."""
    if service.poll() is None:
        service.send_signal(signal.SIGINT)
    try:
        service.wait(timeout=SERVICE_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        service.kill()
        service.wait()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM (a process manager, `kill`) and SIGHUP (the terminal closing) stop both as Ctrl-C
    # does. Later stop signals are ignored from here on: a second Ctrl-C must not cut the orderly
    # stop short and leave the service running, as nothing else would stop it in its own process
    # group. The stop is bounded by SERVICE_STOP_SECONDS.
    _ignore_stop_signals()
    raise KeyboardInterrupt


def _ignore_stop_signals() -> None:
    for sig in _STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)


def _reachable_host(host: str) -> str:
    """The address to reach a server bound to ``host``: a wildcard bind is reachable on loopback."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
