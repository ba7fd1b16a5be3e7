"""Administrator uploads: save minutes files beside the index and ingest them into the live index.

An upload is all or nothing. Every file is first saved to a private staging folder and read
with the ingest's own reader, so a file that cannot be read rejects the whole upload before
anything is ingested or overwritten. Only then are the files moved into the uploads folder
(a file of the same name is kept aside until the ingest succeeds) and ingested, one upload at
a time; queries keep running on the current index generation until ``Engine.reload`` swaps
in the new one.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from minutes_qa.index.errors import UnreadableFile
from minutes_qa.index.ingest import IngestReport, ingest
from minutes_qa.index.readers import SUPPORTED_SUFFIXES, read_file
from minutes_qa.rag.engine import Engine
from minutes_qa.settings import Settings

from .errors import ApiError

log = logging.getLogger("minutes.server")

# The index store owns CURRENT, gen-* and .staging-* in the index directory; this name is free.
UPLOADS_FOLDER = "uploads"
# More files than this in one request are refused by the multipart parser.
MAX_FILES_PER_UPLOAD = 50


def uploads_dir(index_dir: Path) -> Path:
    """Where uploaded minutes files are kept: inside the index directory, so they move with it."""
    return index_dir / UPLOADS_FOLDER


def upload_limit(settings: Settings) -> int:
    """Largest accepted file: the upload limit, or the ingest's own file limit if smaller."""
    return min(settings.service.max_upload_bytes, settings.index.max_file_bytes)


def safe_file_name(name: str | None) -> str:
    """A client's file name reduced to a plain name that cannot leave the uploads folder."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    # Leading dots would make hidden files; anything outside this set is replaced.
    cleaned = re.sub(r"[^A-Za-z0-9._ ()-]+", "_", base).strip(" .")
    if not cleaned:
        raise ApiError(400, f"The uploaded file name {name!r} is empty or unusable; give the file a name.")
    return cleaned


def check_upload(name: str, size: int | None, settings: Settings) -> None:
    """Refuse a file of an unsupported type (415) or over the size limit (413)."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        shown = f"'{suffix}'" if suffix else "no suffix"
        raise ApiError(415, f"{name}: unsupported file type ({shown}); upload minutes as {supported}.")
    limit = upload_limit(settings)
    if size is not None and size > limit:
        raise ApiError(413, f"{name} is {size:,} bytes, over the upload limit of {limit:,} bytes (MINUTES_MAX_UPLOAD_BYTES).")


@dataclass(frozen=True)
class Upload:
    """One received file: its cleaned name and its content, still in the request's temporary file."""

    name: str
    content: BinaryIO


class UploadService:
    """Ingests uploads into the engine's index, one upload at a time."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        # Resolved because the ingest reports files by resolved path.
        self.folder = uploads_dir(settings.index.index_dir).resolve()
        self._lock = threading.Lock()

    @property
    def busy(self) -> bool:
        """Whether an upload is being ingested now."""
        return self._lock.locked()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the one ingest slot, or refuse with 409 at once rather than queueing uploads."""
        if not self._lock.acquire(blocking=False):
            raise ApiError(
                409, "Another upload is being ingested; try again when it has finished.", headers={"Retry-After": "5"}
            )
        try:
            yield
        finally:
            self._lock.release()

    def ingest(self, uploads: list[Upload]) -> IngestReport:
        """Save, check and ingest ``uploads``, then switch the engine to the new generation.

        Blocking (reads files, embeds passages): call it from a worker thread, inside
        :meth:`exclusive`. Raises :class:`ApiError` 422 when a file cannot be read.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self.folder))
        try:
            staged = self._stage(uploads, staging)
            placed = self._place(staged, staging)
            try:
                report = ingest(
                    [target for target, _ in placed], self.settings.index.index_dir, self.settings,
                    progress=False, embedder=self.engine.embedder,
                )
            except BaseException:
                self._restore(placed)
                raise
            if report.failed:
                self._reject_failed(report, placed)
            self.engine.reload()
            return report
        finally:
            shutil.rmtree(staging)

    def _stage(self, uploads: list[Upload], staging: Path) -> list[Path]:
        """Copy every upload into ``staging`` and read it as the ingest will; 422 if any fails."""
        staged, problems = [], []
        for upload in uploads:
            path = staging / upload.name
            with open(path, "wb") as out:
                shutil.copyfileobj(upload.content, out)
            try:
                read_file(path)
            except UnreadableFile as error:
                problems.append(f"{upload.name}: {error.reason}")
            staged.append(path)
        if problems:
            raise ApiError(422, "Could not read " + "; ".join(problems) + ". Nothing was ingested.")
        return staged

    def _place(self, staged: list[Path], staging: Path) -> list[tuple[Path, Path | None]]:
        """Move staged files into the uploads folder; (target, kept-aside previous file) each."""
        kept_aside = staging / "previous"
        kept_aside.mkdir()
        placed = []
        for path in staged:
            target = self.folder / path.name
            previous = None
            if target.exists():
                previous = kept_aside / path.name
                os.replace(target, previous)
            os.replace(path, target)
            placed.append((target, previous))
        return placed

    def _reject_failed(self, report: IngestReport, placed: list[tuple[Path, Path | None]]) -> None:
        """The ingest could not read a file that passed the staging read: undo those files, 422."""
        failed = {Path(path) for path, _ in report.failed}
        self._restore([(target, previous) for target, previous in placed if target in failed])
        log.error("Upload ingest failed after staging: %s", report.failed)
        self.engine.reload()
        reasons = "; ".join(f"{Path(path).name}: {reason}" for path, reason in report.failed)
        ingested = [Path(path).name for path in report.added + report.updated]
        also = f" These were ingested: {', '.join(ingested)}." if ingested else " Nothing was ingested."
        raise ApiError(422, f"Could not read {reasons}.{also}")

    @staticmethod
    def _restore(placed: list[tuple[Path, Path | None]]) -> None:
        """Put back what was in the uploads folder before ``placed`` were moved in."""
        for target, previous in placed:
            if previous is not None:
                os.replace(previous, target)
            else:
                target.unlink(missing_ok=True)
