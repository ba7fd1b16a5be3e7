"""``minutes up``: the service and the UI from one command, stopped together by one Ctrl-C.

The service runs as a child process (``python -m minutes.cli serve``) so that the UI package
never imports the server; the UI runs in this process and talks to the child over HTTP.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from minutes.settings import Settings

from .app import start_ui
from .client import MinutesClient, ServiceError

# Loading the embedding model and the index takes seconds on a laptop; a cold disk more.
SERVICE_START_SECONDS = 180.0
# How long the service gets to finish in-flight requests after Ctrl-C before it is killed.
SERVICE_STOP_SECONDS = 10.0


class LaunchError(RuntimeError):
    """The service or the UI could not be started or stopped unexpectedly; the message says which."""


def run_both(settings: Settings, index_dir: Path) -> None:
    """Start the service on ``settings.host:port`` over ``index_dir`` and the UI on ``ui_host:ui_port``.

    Prints both URLs once both answer, then runs until Ctrl-C (or SIGTERM), which stops both.
    Raises :class:`LaunchError` if either cannot start, or if the service dies while running.
    """
    api_url = f"http://{_reachable_host(settings.host)}:{settings.port}"
    command = [
        sys.executable, "-m", "minutes.cli", "serve",
        "--index", str(index_dir), "--host", settings.host, "--port", str(settings.port),
    ]
    previous_sigterm = signal.signal(signal.SIGTERM, _interrupt)
    service = subprocess.Popen(command)
    demo = None
    try:
        _wait_until_healthy(service, api_url, settings.api_timeout_seconds)
        try:
            demo = start_ui(settings, api_url)
        except OSError as error:
            raise LaunchError(f"The UI could not start on {settings.ui_host}:{settings.ui_port}: {error}") from error
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
        if demo is not None:
            demo.close()
        _stop(service)
        signal.signal(signal.SIGTERM, previous_sigterm)


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
        # On a terminal's Ctrl-C the service got SIGINT already; a second one would make uvicorn
        # abandon its graceful shutdown, so only signal it here if it has not begun stopping.
        try:
            service.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            service.send_signal(signal.SIGINT)
    try:
        service.wait(timeout=SERVICE_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        service.kill()
        service.wait()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM (from a process manager or `kill`) stops both just as Ctrl-C does.
    raise KeyboardInterrupt


def _reachable_host(host: str) -> str:
    """The address to reach a server bound to ``host``: a wildcard bind is reachable on loopback."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
