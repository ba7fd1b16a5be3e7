"""The answer commands without an index: a clear error, no model loaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from minutes_qa.cli.app import app


@pytest.mark.parametrize("command", ["ask", "search", "index-info"])
def test_cli_missing_index(tmp_path: Path, command: str) -> None:
    arguments = [command] if command == "index-info" else [command, "workforce"]
    result = CliRunner().invoke(app, [*arguments, "--index", str(tmp_path / "no-index")])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert "No index at" in result.output and "minutes ingest" in result.output
