"""``minutes ingest``: files -> documents -> chunks -> vectors -> a new index generation.

Incremental: a file whose bytes and sidecar metadata are unchanged keeps its chunks and vectors
(passages' and sentences'); a new or changed file is read, chunked and embedded; with ``prune`` a
document whose file no longer exists is dropped. Files that cannot be read are reported and the
rest carry on.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from minutes_qa.settings import IndexSettings, Settings

from .backend import Store, open_store
from .chunking import CHUNKER_VERSION, chunk_document
from .duplicates import find_duplicates
from .embedding import Embedder, load_embedder
from .errors import UnreadableFile, WritePathError
from .metadata import load_sidecar, parse_metadata
from .pause_hook import pause_at
from .readers import SUPPORTED_SUFFIXES, read_file
from .records import Chunk, Document, DocumentMetadata
from .sentence_store import VECTOR_DTYPE, DocumentSentences, sentence_spans_by_document
from .store import FORMAT_VERSION, IndexContents, Manifest
from .vector_index import choose_index_type

SIDECAR_NAME = "sources.jsonl"
# Texts handed to the model at a time: a multiple of the ONNX backend's 4,096-text sorting window.
_EMBED_BLOCK = 16_384


@dataclass
class IngestReport:
    """What an ingest did, file by file."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped_unsupported: list[str] = field(default_factory=list)
    documents: int = 0
    chunks: int = 0
    duplicates: int = 0
    embedded_chunks: int = 0
    embedded_sentences: int = 0
    seconds: float = 0.0
    generation: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass(frozen=True)
class _SourceFile:
    path: Path
    sidecar: DocumentMetadata | None


def ingest(
    paths: Iterable[Path],
    index_dir: Path,
    settings: Settings,
    prune: bool = False,
    progress: bool = True,
    embedder: Embedder | None = None,
) -> IngestReport:
    """Bring the index at ``index_dir`` up to date with the minutes files under ``paths``.

    Raises :class:`WritePathError` for problems with the arguments (a missing path, a bad
    ``sources.jsonl``, an index built with another model); per-file problems are collected in
    the report instead.
    """
    paths = [Path(p) for p in paths]
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        raise WritePathError(f"Not found: {', '.join(missing)}. Check the path and try again.")
    store = open_store(index_dir, settings.index.store)
    with store.writer_lock():
        return _ingest_locked(paths, store, settings, prune, progress, embedder)


def _ingest_locked(
    paths: list[Path], store: Store, settings: Settings, prune: bool, progress: bool, embedder: Embedder | None
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport()
    sources = _collect_sources(paths, report)
    previous_generation = store.live()
    embedder = embedder or load_embedder(settings.embedding)
    manifest = manifest_for(embedder, settings.index)
    previous = IndexContents(documents=[], chunks=[], vectors=np.zeros((0, embedder.dimension), np.float32))
    previous_manifest = store.live_manifest()
    if previous_manifest is not None:
        manifest.check_compatible(previous_manifest, store.location)
        previous = store.load_contents()

    kept_docs, kept_ids, to_index = _plan(sources, previous, prune, report)
    new_docs, new_chunks = _read_and_chunk(to_index, embedder, settings.index, report, progress)
    kept_docs = _keep_unreadable(previous, kept_docs, report)
    kept_ids = {doc.doc_id for doc in kept_docs}
    kept_rows = [row for row, chunk in enumerate(previous.chunks) if chunk.doc_id in kept_ids]
    documents = kept_docs + new_docs
    chunks = [replace(previous.chunks[row], duplicate_of=None) for row in kept_rows] + new_chunks
    # Kept documents carry their sentence vectors over, unless their generation predates them.
    unvectored = [doc for doc in kept_docs if doc.doc_id not in previous.sentences]
    spans = sentence_spans_by_document(unvectored + new_docs, chunks)
    pause_at("embedding")  # a no-op unless a test sets MINUTES_TEST_PAUSE_AT (see pause_hook)
    new_vectors, new_sentences = _embed(new_chunks, unvectored + new_docs, spans, embedder, settings.embedding.embed_batch_size, progress)
    report.embedded_chunks = len(new_chunks)
    report.embedded_sentences = sum(len(part) for part in spans.values())

    vectors = np.concatenate([previous.vectors[kept_rows], new_vectors]) if chunks else new_vectors
    sentences = {doc.doc_id: previous.sentences[doc.doc_id] for doc in kept_docs if doc.doc_id in previous.sentences}
    sentences.update(new_sentences)
    if previous_generation is not None and not report.changed and not unvectored:
        report.generation = previous_generation
    else:
        index_type = choose_index_type(len(chunks), settings.index)
        duplicates = find_duplicates(chunks, vectors, settings.index.near_duplicate_threshold, index_type)
        chunks = [replace(chunk, duplicate_of=duplicates.get(chunk.chunk_id)) for chunk in chunks]
        manifest = replace(manifest, index_type=index_type)
        report.generation = store.write_generation(IndexContents(documents, chunks, vectors, sentences), manifest)
    report.documents = len(documents)
    report.chunks = len(chunks)
    report.duplicates = sum(1 for chunk in chunks if chunk.duplicate_of)
    report.seconds = time.perf_counter() - started
    return report


def manifest_for(embedder: Embedder, settings: IndexSettings) -> Manifest:
    """What a generation written now with ``embedder`` and ``settings`` records (index kind still 'flat')."""
    return Manifest(
        format_version=FORMAT_VERSION,
        model=embedder.model_id,
        backend=embedder.backend,
        dimension=embedder.dimension,
        max_tokens=embedder.max_tokens,
        chunker_version=CHUNKER_VERSION,
        chunk_max_tokens=settings.chunk_max_tokens,
        chunk_overlap_sentences=settings.chunk_overlap_sentences,
        index_type="flat",
    )


def _collect_sources(paths: list[Path], report: IngestReport) -> list[_SourceFile]:
    """Every minutes file under ``paths`` (folders walked recursively), with its sidecar entry."""
    sidecars: dict[Path, dict[str, DocumentMetadata]] = {}

    def source(file: Path) -> _SourceFile:
        folder = file.parent.resolve()
        if folder not in sidecars:
            sidecars[folder] = load_sidecar(folder)
        return _SourceFile(file.resolve(), sidecars[folder].get(file.name))

    found: dict[Path, _SourceFile] = {}
    for path in paths:
        if path.is_file():
            found[path.resolve()] = source(path)
            continue
        for file in sorted(path.rglob("*")):
            if not file.is_file() or file.name == SIDECAR_NAME or file.name.startswith("."):
                continue
            if file.suffix.lower() not in SUPPORTED_SUFFIXES:
                report.skipped_unsupported.append(str(file))
                continue
            found[file.resolve()] = source(file)
    return sorted(found.values(), key=lambda item: str(item.path))


def _plan(
    sources: list[_SourceFile], previous: IndexContents, prune: bool, report: IngestReport
) -> tuple[list[Document], set[str], list[tuple[_SourceFile, str, bool]]]:
    """Split into documents kept as they are and files to (re)index, with their fingerprints."""
    previous_by_path = {doc.path: doc for doc in previous.documents}
    kept: dict[str, Document] = {}
    to_index: list[tuple[_SourceFile, str, bool]] = []
    for source in sources:
        try:
            fingerprint = _fingerprint(source)
        except OSError as error:
            report.failed.append((str(source.path), f"cannot be opened: {error.strerror or error}"))
            continue
        old = previous_by_path.get(str(source.path))
        if old is not None and old.content_hash == fingerprint:
            kept[old.doc_id] = old
            report.unchanged.append(str(source.path))
        else:
            to_index.append((source, fingerprint, old is not None))
    requested = {str(source.path) for source in sources}
    for doc in previous.documents:
        if doc.doc_id in kept or doc.path in requested:
            continue
        if prune and not Path(doc.path).exists():
            report.removed.append(doc.path)
        else:
            kept[doc.doc_id] = doc
    return list(kept.values()), set(kept), to_index


def _keep_unreadable(previous: IndexContents, kept: list[Document], report: IngestReport) -> list[Document]:
    """``kept`` plus the indexed version of each file that failed this time (emptied, damaged, locked).

    Keeping the last good version whether or not another file changed keeps the report and the
    live index in step, and a file's fate independent of the others; the failure stays reported.
    """
    failed = {path for path, _ in report.failed}
    kept_ids = {doc.doc_id for doc in kept}
    restored = [doc for doc in previous.documents if doc.path in failed and doc.doc_id not in kept_ids]
    report.warnings.extend(f"{doc.path}: could not be read again; its previously indexed version is kept" for doc in restored)
    return kept + restored


def _fingerprint(source: _SourceFile) -> str:
    """Hash of the file's bytes and its sidecar entry: either changing means re-indexing."""
    digest = hashlib.sha256(source.path.read_bytes())
    digest.update(json.dumps(asdict(source.sidecar) if source.sidecar else None, sort_keys=True).encode())
    return digest.hexdigest()


def _read_and_chunk(
    to_index: list[tuple[_SourceFile, str, bool]],
    embedder: Embedder,
    settings: IndexSettings,
    report: IngestReport,
    progress: bool,
) -> tuple[list[Document], list[Chunk]]:
    documents: list[Document] = []
    chunks: list[Chunk] = []
    budget = min(settings.chunk_max_tokens, embedder.max_tokens)
    for source, fingerprint, is_update in tqdm(to_index, desc="Reading", unit="file", disable=not progress or not to_index):
        try:
            document, warnings = _read_document(source, fingerprint, settings)
        except UnreadableFile as error:
            report.failed.append((str(source.path), error.reason))
            continue
        report.warnings.extend(f"{source.path}: {warning}" for warning in warnings)
        documents.append(document)
        chunks.extend(chunk_document(document, embedder.count_tokens, budget, settings.chunk_overlap_sentences))
        (report.updated if is_update else report.added).append(str(source.path))
    return documents, chunks


def _read_document(source: _SourceFile, fingerprint: str, settings: IndexSettings) -> tuple[Document, tuple[str, ...]]:
    size = source.path.stat().st_size
    if size > settings.max_file_bytes:
        raise UnreadableFile(
            source.path, f"is {size:,} bytes, over the limit of {settings.max_file_bytes:,} (MINUTES_MAX_FILE_BYTES)"
        )
    read = read_file(source.path)
    parsed = parse_metadata(read.text)
    metadata = source.sidecar.merged_over(parsed) if source.sidecar else parsed
    document = Document(
        doc_id=document_id(source.path),
        file=source.path.name,
        path=str(source.path),
        content_hash=fingerprint,
        text=read.text,
        metadata=metadata,
        pages=read.pages,
    )
    return document, read.warnings


def document_id(path: Path) -> str:
    """A stable, readable id: the file's name made URL-safe, plus a hash of its full path."""
    slug = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")[:48] or "document"
    return f"{slug}-{hashlib.sha1(str(path).encode('utf-8')).hexdigest()[:8]}"


def _embed(
    chunks: list[Chunk],
    documents: list[Document],
    spans: dict[str, np.ndarray],
    embedder: Embedder,
    batch_size: int,
    progress: bool,
) -> tuple[np.ndarray, dict[str, DocumentSentences]]:
    """The chunks' vectors, and the sentences of ``documents`` (at ``spans``) with theirs.

    Passages and sentences go to the model in one stream, so the backend's length-sorted
    batching packs short sentences together; a sentence repeated word for word (boilerplate
    lines) is embedded once. Sentence vectors become float16 a block at a time: as float32, a
    large ingest's sentences (~7 per passage) would take twice the memory.
    """
    sentence_texts = [doc.text[start:end] for doc in documents for start, end in spans[doc.doc_id].tolist()]
    distinct = list(dict.fromkeys(sentence_texts))
    texts = [chunk.embed_text for chunk in chunks] + distinct
    passage_vectors = np.zeros((len(chunks), embedder.dimension), dtype=np.float32)
    distinct_vectors = np.zeros((len(distinct), embedder.dimension), dtype=VECTOR_DTYPE)
    with tqdm(total=len(texts), desc="Embedding", unit="text", disable=not progress or not texts) as bar:
        for first in range(0, len(texts), _EMBED_BLOCK):
            block = texts[first : first + _EMBED_BLOCK]
            vectors = embedder.encode_corpus(block, batch_size=batch_size)
            cut = min(max(len(chunks) - first, 0), len(block))
            passage_vectors[first : first + cut] = vectors[:cut]
            distinct_vectors[first + cut - len(chunks) : first + len(block) - len(chunks)] = vectors[cut:]
            bar.update(len(block))
    row_of = {text: row for row, text in enumerate(distinct)}
    sentence_vectors = distinct_vectors[[row_of[text] for text in sentence_texts]]
    sentences, first = {}, 0
    for doc in documents:
        count = len(spans[doc.doc_id])
        sentences[doc.doc_id] = DocumentSentences(spans[doc.doc_id], sentence_vectors[first : first + count])
        first += count
    return passage_vectors, sentences
