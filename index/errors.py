"""Errors of the write path, worded for the person running the ingest."""

from __future__ import annotations

from pathlib import Path


class WritePathError(Exception):
    """Base class for write-path errors that a user can act on."""


class UnreadableFile(WritePathError):
    """A file could not be turned into text; the ingest reports it and carries on."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class SidecarError(WritePathError):
    """A ``sources.jsonl`` line is malformed; names the file and line."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        super().__init__(f"{path}, line {line}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


class IndexMismatch(WritePathError):
    """The index on disk was built with a different model, backend or format."""


class IndexNotFound(WritePathError):
    """No index exists at the given directory."""


class IndexBusy(WritePathError):
    """Another process is writing to the index."""
