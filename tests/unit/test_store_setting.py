"""MINUTES_STORE: a value naming no store, or naming one badly, fails at once with what to write instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from minutes_qa.index.backend import StoreSettingError, open_store
from minutes_qa.index.errors import WritePathError
from minutes_qa.index.faiss_store import FaissStore


def test_faiss_is_the_index_directory(tmp_path: Path) -> None:
    store = open_store(tmp_path, "faiss")
    assert isinstance(store, FaissStore) and store.location == str(tmp_path) and store.live() is None


@pytest.mark.parametrize("value", ["qdrant://localhost:6333", "FAISS", "", "milvus:localhost:19530"])
def test_an_unknown_store_lists_the_known_ones(tmp_path: Path, value: str) -> None:
    with pytest.raises(StoreSettingError) as raised:
        open_store(tmp_path, value)
    message = str(raised.value)
    assert f"MINUTES_STORE={value!r}" in message
    assert all(form in message for form in ("'faiss'", "'milvus://HOST:PORT'", "'milvus-lite[:PATH]'"))


@pytest.mark.parametrize(
    ("value", "wording"),
    [
        ("milvus://", "names no server"),
        ("milvus://localhost:19530/2nd-index", "letters, digits and underscores"),
        ("milvus-lite:var/milvus.data", "must end in .db"),
    ],
)
def test_a_badly_written_milvus_store_says_how_to_write_it(tmp_path: Path, value: str, wording: str) -> None:
    with pytest.raises(WritePathError, match=wording):
        open_store(tmp_path, value)
