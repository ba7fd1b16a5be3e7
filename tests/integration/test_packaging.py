"""The built distribution: one top-level package, its data files inside, and no generic module names leaked.

The wheel is built from a copy of the source tree: setuptools writes build/ and *.egg-info beside
the sources, and a stale build/ of the working tree could slip removed modules into the wheel.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from support import REPO

# Never part of a build: environments, outputs, caches and what an earlier build left behind.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "var", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", "node_modules",
    "eval-out", "results",
)
# The repository's layer folders: installed only as minutes_qa.<layer>, never as top-level modules.
LAYER_FOLDERS = ("index", "rag", "server", "ui", "eval", "cli")


@pytest.fixture(scope="module")
def wheel_record(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The paths listed in the RECORD of a wheel built from the current sources."""
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"
    shutil.copytree(REPO, source, ignore=NOT_SOURCES)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q",
         "-w", str(work / "wheels")],
        capture_output=True, text=True, timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "wheels").glob("minutes_qa-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        (record,) = [name for name in archive.namelist() if name.endswith(".dist-info/RECORD")]
        rows = csv.reader(io.StringIO(archive.read(record).decode("utf-8")))
        return [row[0] for row in rows if row]


def test_every_file_of_the_wheel_is_under_minutes_qa(wheel_record: list[str]) -> None:
    outside = [
        path for path in wheel_record
        if not path.startswith("minutes_qa/") and not path.split("/")[0].endswith(".dist-info")
    ]
    assert not outside, f"files outside minutes_qa/ in the wheel: {outside}"
    assert "minutes_qa/__init__.py" in wheel_record
    assert "minutes_qa/rag/data/glossary.txt" in wheel_record


def _run(arguments: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env.pop("PYTHONPATH", None)  # only what the installed distribution provides
    return subprocess.run([sys.executable, *arguments], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_layer_folders_are_not_importable_as_top_level_modules(tmp_path: Path) -> None:
    # Outside the repository, so that the current directory cannot supply them.
    script = (
        "import importlib.util, sys\n"
        f"found = [name for name in {LAYER_FOLDERS!r} if importlib.util.find_spec(name) is not None]\n"
        "print(' '.join(found))\n"
        "sys.exit(1 if found else 0)\n"
    )
    result = _run(["-c", script], cwd=tmp_path)
    assert result.returncode == 0, f"importable as top-level modules: {result.stdout.strip()} {result.stderr}"
    imported = _run(["-c", "import minutes_qa.rag, minutes_qa.server"], cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr


def test_the_command_runs_as_a_module_from_any_directory(tmp_path: Path) -> None:
    result = _run(["-m", "minutes_qa.cli", "--help"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ingest" in result.stdout and "ask" in result.stdout
