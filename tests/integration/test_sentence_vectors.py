"""Sentence vectors stored at ingest: what answers score, so that only the question is embedded per request.

Real ingests with the session's model: the stored sentences are exactly what the answer composer's
units are made of, their float16 vectors agree with fresh ones, incremental ingest carries them
over, and a generation written before they existed still answers (embedding per question) and is
upgraded by the next ingest.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from minutes_qa.index.embedding import Embedder
from minutes_qa.index.ingest import ingest
from minutes_qa.index.sentence_store import OFFSETS_FILE, SPANS_FILE, VECTORS_FILE
from minutes_qa.index.store import IndexReader, current_generation, load_contents
from minutes_qa.rag.engine import Engine
from minutes_qa.rag.units import answer_units
from minutes_qa.settings import Settings
from support import SAMPLE_CORPUS, store_of

SAMPLE_FILES = sorted(path.name for path in SAMPLE_CORPUS.glob("*.txt"))
QUESTION = "What did the board say about workforce risk?"
# Every test that uses ``settings`` runs on each store (tests/conftest.py); those of the embedded
# store's sentence files run on it alone.
EVERY_STORE = True


def only_the_embedded_store(settings: Settings) -> None:
    if settings.index.store != "faiss":
        pytest.skip("checks the embedded store's sentence files; the other stores' sentences are checked through answers")


def copy_corpus(folder: Path, names: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(SAMPLE_CORPUS / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def reader(sample_index: Path, settings: Settings):
    only_the_embedded_store(settings)
    reader = IndexReader.open(sample_index)
    yield reader
    reader.close()


def test_every_answer_unit_is_a_union_of_stored_sentences(reader: IndexReader) -> None:
    sentences = reader.sentences
    assert sentences is not None and len(sentences) == reader.manifest.sentences > len(reader.chunks)
    units = 0
    for chunk in reader.chunks:
        for unit in answer_units(chunk.text, 120):
            start, end = chunk.start + unit.start, chunk.start + unit.end
            rows = sentences.rows_within(chunk.doc_id, start, end)
            spans = sentences.spans[rows]
            assert len(rows) and spans[0, 0] == start and spans[-1, 1] == end, (chunk.chunk_id, unit)
            units += 1
    assert units > 50


def test_stored_vectors_agree_with_fresh_ones(reader: IndexReader, embedder: Embedder) -> None:
    sentences = reader.sentences
    rows = np.arange(0, len(sentences), max(1, len(sentences) // 60))
    doc_of = np.searchsorted(sentences.offsets, rows, side="right") - 1
    texts = [
        reader.document_text(reader.chunks.doc_ids[doc])[start:end]
        for doc, (start, end) in zip(doc_of.tolist(), sentences.spans[rows].tolist(), strict=True)
    ]
    fresh = embedder.encode(texts)
    stored = sentences.vectors[rows].astype(np.float32)
    assert sentences.vectors.dtype == np.float16
    # float16 moves a cosine by far less than separates two candidate sentences.
    query = embedder.encode_query(QUESTION)
    assert np.abs(stored @ query - fresh @ query).max() < 2e-3
    assert (np.sum(stored * fresh, axis=1) > 0.999).all()


def test_a_unit_scores_its_best_sentence(reader: IndexReader, embedder: Embedder) -> None:
    sentences = reader.sentences
    chunk = next(c for c in reader.chunks if any(u.items for u in answer_units(c.text, 120)))
    unit = next(u for u in answer_units(chunk.text, 120) if u.items)
    span = (chunk.doc_id, chunk.start + unit.start, chunk.start + unit.end)
    query = embedder.encode_query(QUESTION)
    parts = sentences.spans[sentences.rows_within(*span)]
    text = reader.document_text(chunk.doc_id)
    expected = max(embedder.encode([text[start:end] for start, end in parts.tolist()]) @ query)
    (score,) = sentences.span_similarities([span], query)
    assert len(parts) > 1 and score == pytest.approx(expected, abs=2e-3)
    assert sentences.span_similarities([("no-such-document", 0, 10)], query).tolist() == [0.0]


def test_ask_embeds_only_the_question(sample_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    embedded: list[int] = []
    real = sample_engine.embedder.encode

    def counting(texts, *args, **kwargs):
        embedded.append(len(texts))
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(sample_engine.embedder, "encode", counting)
    response = sample_engine.ask(QUESTION)
    assert not response.abstained and response.citations
    assert all(count == 1 for count in embedded)


def test_incremental_ingest_carries_sentence_vectors_over(tmp_path: Path, settings: Settings, embedder: Embedder) -> None:
    corpus = copy_corpus(tmp_path / "corpus", SAMPLE_FILES[:2])
    index_dir = tmp_path / "index"
    first = ingest([corpus], index_dir, settings, progress=False, embedder=embedder)
    store = store_of(index_dir, settings)
    before = store.load_contents().sentences
    copy_corpus(corpus, SAMPLE_FILES[2:3])
    added = ingest([corpus], index_dir, settings, progress=False, embedder=embedder)
    after = store.load_contents().sentences

    assert first.embedded_sentences == sum(len(part.spans) for part in before.values())
    new_doc = (set(after) - set(before)).pop()
    assert added.embedded_sentences == len(after[new_doc].spans) > 0
    for doc_id, part in before.items():
        assert np.array_equal(after[doc_id].spans, part.spans)
        assert np.array_equal(after[doc_id].vectors, part.vectors)
    assert store.live_manifest().sentences == sum(len(p.spans) for p in after.values())


def test_a_generation_without_sentence_vectors_answers_and_is_upgraded(
    tmp_path: Path, settings: Settings, embedder: Embedder
) -> None:
    only_the_embedded_store(settings)
    corpus = copy_corpus(tmp_path / "corpus", SAMPLE_FILES)
    index_dir = tmp_path / "index"
    ingest([corpus], index_dir, settings, progress=False, embedder=embedder)
    generation = current_generation(index_dir)
    stored = {doc_id: (part.spans.copy(), np.array(part.vectors)) for doc_id, part in load_contents(generation).sentences.items()}
    # As written before sentence vectors existed: no files, no manifest fields.
    for name in (SPANS_FILE, OFFSETS_FILE, VECTORS_FILE):
        (generation / name).unlink()
    manifest = json.loads((generation / "manifest.json").read_text())
    del manifest["sentence_vectors"], manifest["sentences"]
    (generation / "manifest.json").write_text(json.dumps(manifest))

    old = Engine.open(index_dir, settings)
    assert old.reader.sentences is None
    answer = old.ask(QUESTION)
    assert not answer.abstained and answer.citations

    upgrade = ingest([corpus], index_dir, settings, progress=False, embedder=embedder)
    assert upgrade.embedded_chunks == 0 and upgrade.generation != generation.name
    upgraded = load_contents(current_generation(index_dir)).sentences
    assert set(upgraded) == set(stored)
    for doc_id, (spans, vectors) in stored.items():
        assert np.array_equal(upgraded[doc_id].spans, spans)
        assert np.allclose(upgraded[doc_id].vectors.astype(np.float32), vectors.astype(np.float32), atol=2e-3)
    again = ingest([corpus], index_dir, settings, progress=False, embedder=embedder)
    assert not again.changed and again.embedded_sentences == 0 and again.generation == upgrade.generation


def test_embedding_in_blocks_gives_the_same_vectors(
    tmp_path: Path, settings: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks that cut through the passages, and through the sentences, put every vector in its place."""
    import minutes_qa.index.ingest as ingest_module

    corpus = copy_corpus(tmp_path / "corpus", SAMPLE_FILES[:2])
    ingest([corpus], tmp_path / "whole", settings, progress=False, embedder=embedder)
    monkeypatch.setattr(ingest_module, "_EMBED_BLOCK", 7)
    ingest([corpus], tmp_path / "blocks", settings, progress=False, embedder=embedder)
    whole, blocks = (store_of(tmp_path / name, settings).load_contents() for name in ("whole", "blocks"))
    assert np.allclose(whole.vectors, blocks.vectors, atol=1e-4)
    assert set(whole.sentences) == set(blocks.sentences)
    for doc_id, part in whole.sentences.items():
        assert np.array_equal(part.spans, blocks.sentences[doc_id].spans)
        assert np.allclose(part.vectors.astype(np.float32), blocks.sentences[doc_id].vectors.astype(np.float32), atol=2e-3)
