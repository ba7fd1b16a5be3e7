"""The embedded default store: generation folders in the index directory (see :mod:`index.store`)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

from .errors import IndexNotFound
from .store import (
    IndexContents,
    IndexReader,
    Manifest,
    current_generation,
    load_contents,
    read_manifest,
    write_generation,
    writer_lock,
)


class FaissStore:
    """The :class:`index.backend.Store` of an index directory: FAISS, bm25s and SQLite per generation."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self.location = str(index_dir)

    def writer_lock(self) -> AbstractContextManager[None]:
        return writer_lock(self.index_dir)

    def live(self) -> str | None:
        generation = current_generation(self.index_dir)
        return generation.name if generation is not None else None

    def live_manifest(self) -> Manifest | None:
        generation = current_generation(self.index_dir)
        return read_manifest(generation) if generation is not None else None

    def load_contents(self) -> IndexContents:
        generation = current_generation(self.index_dir)
        if generation is None:
            raise IndexNotFound(f"No index at {self.index_dir}. Build one with: minutes ingest PATH... --index {self.index_dir}")
        return load_contents(generation)

    def write_generation(self, contents: IndexContents, manifest: Manifest) -> str:
        return write_generation(self.index_dir, contents, manifest).name

    def open_reader(self) -> IndexReader:
        return IndexReader.open(self.index_dir)
