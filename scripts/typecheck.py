"""Type-check the installed namespace with mypy: ``python scripts/typecheck.py`` (``make lint`` runs it).

The layers' folders (``rag/``, ``index/``...) are mapped onto ``minutes_qa`` by setuptools'
``package-dir``. The editable install serves that mapping through an import hook, which type
checkers cannot follow, so the mapping read from ``pyproject.toml`` is mirrored here as symbolic
links under ``var/typecheck`` and mypy checks the package there.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TREE = REPO / "var" / "typecheck"


def mirror_packages() -> Path:
    """Mirror ``minutes_qa`` under ``TREE``: the root package's own files, and every folder that
    ``pyproject.toml`` maps onto a subpackage, linked (never written into the repository)."""
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapped: dict[str, str] = setuptools.get("package-dir", {})
    shutil.rmtree(TREE, ignore_errors=True)
    root = TREE / "minutes_qa"
    root.mkdir(parents=True)
    for entry in (REPO / "minutes_qa").iterdir():
        if entry.name != "__pycache__":
            (root / entry.name).symlink_to(entry)
    for package, folder in mapped.items():
        (TREE.joinpath(*package.split("."))).symlink_to(REPO / folder, target_is_directory=True)
    return TREE


def main() -> int:
    tree = mirror_packages()
    command = [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml"),
               "--cache-dir", str(REPO / "var" / "mypy-cache"), "-p", "minutes_qa"]
    return subprocess.run(command, cwd=tree, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
