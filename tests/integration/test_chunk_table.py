"""The reader's chunk table: numpy columns and on-demand chunks agree with what the store holds.

The index is built from sample files the way a user's grows: two files first, then a third file,
a changed one and a copy saved under another name (so that document order, chunk order and
duplicates all differ from a fresh build). The whole stored table, read back by ``load_contents``,
is the reference.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from minutes_qa.index.embedding import Embedder
from minutes_qa.index.ingest import ingest
from minutes_qa.index.store import IndexContents, IndexReader, load_contents
from minutes_qa.settings import Settings
from support import SAMPLE_CORPUS

SAMPLE_FILES = sorted(path.name for path in SAMPLE_CORPUS.glob("*.txt"))
COPIED = "004_9c3bc0e0b6f5359f.txt"


@pytest.fixture(scope="module")
def grown_index(tmp_path_factory: pytest.TempPathFactory, settings: Settings, embedder: Embedder) -> Path:
    corpus = tmp_path_factory.mktemp("chunk-table-corpus")
    index_dir = tmp_path_factory.mktemp("chunk-table-index")
    for name in (SAMPLE_FILES[2], COPIED):
        shutil.copy(SAMPLE_CORPUS / name, corpus / name)
    ingest([corpus], index_dir, settings, progress=False, embedder=embedder)
    shutil.copy(SAMPLE_CORPUS / SAMPLE_FILES[0], corpus / SAMPLE_FILES[0])
    shutil.copy(SAMPLE_CORPUS / COPIED, corpus / "zz_saved_again.txt")
    changed = corpus / SAMPLE_FILES[2]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nAny other business\n\nNone was raised.\n", encoding="utf-8")
    ingest([corpus], index_dir, settings, progress=False, embedder=embedder)
    return index_dir


@pytest.fixture()
def reader(grown_index: Path) -> Iterator[IndexReader]:
    reader = IndexReader.open(grown_index)
    yield reader
    reader.close()


@pytest.fixture()
def stored(reader: IndexReader) -> IndexContents:
    return load_contents(reader.generation)


def test_columns_describe_every_stored_chunk(reader: IndexReader, stored: IndexContents) -> None:
    table = reader.chunks
    by_id = {chunk.chunk_id: row for row, chunk in enumerate(stored.chunks)}
    assert len(table) == len(stored.chunks) == reader.vectors.shape[0] > 0
    assert sorted(table.doc_ids) == sorted(reader.documents)
    for column in (table.document, table.ordinal, table.start, table.end, table.canonical):
        assert isinstance(column, np.ndarray) and column.shape == (len(table),)
    for row, chunk in enumerate(stored.chunks):
        assert table.doc_ids[table.document[row]] == chunk.doc_id
        assert (table.ordinal[row], table.start[row], table.end[row]) == (chunk.ordinal, chunk.start, chunk.end)
        assert table.canonical[row] == by_id[chunk.duplicate_of or chunk.chunk_id]
    duplicates = [row for row, chunk in enumerate(stored.chunks) if chunk.duplicate_of]
    assert duplicates, "the copy saved under another name must give duplicates"
    assert all(table.canonical[row] != row for row in duplicates)


def test_positions_are_the_columns_of_a_few_rows(reader: IndexReader) -> None:
    table = reader.chunks
    rows = [len(table) - 1, 0, *np.arange(2, len(table), 3)]
    positions = table.positions(rows)
    assert list(positions) == [int(row) for row in rows]
    for row, position in positions.items():
        expected = (table.document[row], table.ordinal[row], table.start[row], table.end[row], table.canonical[row])
        assert position == expected and all(type(value) is int for value in position)
    assert table.positions([]) == {}


def test_rows_read_whole_chunks_from_the_store(reader: IndexReader, stored: IndexContents) -> None:
    table = reader.chunks
    rows = np.arange(len(table))[::-1]
    assert table.fetch(rows) == stored.chunks[::-1], "numpy rows, any order"
    assert table.fetch([3, 0, 3]) == [stored.chunks[3], stored.chunks[0], stored.chunks[3]]
    assert table.fetch([]) == []
    for row, chunk in enumerate(table):  # reading rows while iterating must not block on the reader's lock
        assert chunk == table[row] == stored.chunks[row]
        assert chunk.text == reader.document(chunk.doc_id).text[chunk.start : chunk.end]


@pytest.mark.parametrize("row", [-1, "size"])
def test_rows_outside_the_table_are_refused(reader: IndexReader, row: int | str) -> None:
    row = len(reader.chunks) if row == "size" else row
    with pytest.raises(IndexError, match="outside"):
        reader.chunks[row]
    with pytest.raises(IndexError, match="outside"):
        reader.chunks.fetch([0, row])
