"""``minutes migrate``: copy an index's live generation into another store, without re-embedding.

Everything a generation holds (documents with their text, chunks with spans and duplicate marks,
passage vectors, sentence spans and vectors, the manifest) is read from the source store and
written to the target as its next generation, made live atomically like any ingest. So moving an
embedded FAISS index into Milvus takes minutes of copying, not hours of embedding, and answers
stay the same (the keyword statistics are recomputed from the same tokens).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .backend import open_store
from .errors import IndexNotFound, WritePathError


@dataclass(frozen=True)
class MigrationReport:
    """What was copied, and the generation it became in the target."""

    source: str
    target: str
    documents: int
    passages: int
    sentences: int
    generation: str


def migrate(source_dir: Path, source_store: str, target_store: str, lock_dir: Path) -> MigrationReport:
    """Copy the live generation of the index at ``source_dir`` (kept as ``source_store`` says) into
    ``target_store`` (a ``MINUTES_STORE`` value); ``lock_dir`` holds the target's writer lock if it needs one."""
    if source_store == target_store and target_store == "faiss":
        raise WritePathError("The source and the target are both the FAISS store: copy the index directory instead.")
    source = open_store(source_dir, source_store)
    manifest = source.live_manifest()
    if manifest is None:
        raise IndexNotFound(f"No index at {source.location} to migrate. Check --from (the index directory).")
    contents = source.load_contents()
    target = open_store(lock_dir, target_store)
    with target.writer_lock():
        generation = target.write_generation(contents, manifest)
    return MigrationReport(
        source=source.location, target=target.location, documents=len(contents.documents), passages=len(contents.chunks),
        sentences=sum(len(part.spans) for part in contents.sentences.values()), generation=generation,
    )
