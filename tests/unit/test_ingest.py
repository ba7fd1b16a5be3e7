"""Ingest errors that need no model: a missing folder, and mismatch messages naming real settings."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from minutes_qa.cli.app import app
from minutes_qa.index.store import SETTING_OF_FIELD
from minutes_qa.settings import SECTION_OF_FIELD


def test_cli_ingest_of_a_missing_folder_fails_cleanly(tmp_path: Path) -> None:
    missing = CliRunner().invoke(app, ["ingest", str(tmp_path / "nowhere"), "--index", str(tmp_path / "index")])
    assert missing.exit_code == 2
    assert "Not found" in missing.output and "Traceback" not in missing.output


def test_mismatch_messages_name_real_settings() -> None:
    assert SETTING_OF_FIELD
    for variable in SETTING_OF_FIELD.values():
        assert variable.removeprefix("MINUTES_").lower() in SECTION_OF_FIELD, variable
