"""Session-wide fixtures: the embedding model loads once, each shared index is built once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from minutes_qa.index.embedding import (
    Embedder,  # noqa: E402
    shared_embedder,
)
from minutes_qa.index.ingest import ingest  # noqa: E402
from minutes_qa.rag.engine import Engine  # noqa: E402
from minutes_qa.settings import Settings  # noqa: E402
from support import SAMPLE_CORPUS, SHARED_CORPUS, STORES  # noqa: E402


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run the tests of a module that sets ``EVERY_STORE = True`` once per store (``support.STORES``)."""
    if getattr(metafunc.module, "EVERY_STORE", False) and "settings" in metafunc.fixturenames:
        metafunc.parametrize("settings", STORES, indirect=True, scope="session")


@pytest.fixture(scope="session")
def settings(request: pytest.FixtureRequest) -> Settings:
    """Default settings, as a fresh user has them; with another store where a module runs on every store."""
    store = getattr(request, "param", "faiss")
    return Settings() if store == "faiss" else Settings().replace(store=store)


@pytest.fixture(scope="session")
def embedder(settings: Settings) -> Embedder:
    return shared_embedder(settings.embedding)


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory, settings: Settings, embedder: Embedder) -> Path:
    """An index of the bundled sample corpus."""
    index_dir = tmp_path_factory.mktemp("sample-index")
    ingest([SAMPLE_CORPUS], index_dir, settings, progress=False, embedder=embedder)
    return index_dir


@pytest.fixture(scope="session")
def sample_engine(sample_index: Path, settings: Settings) -> Engine:
    return Engine.open(sample_index, settings)


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory, settings: Settings, embedder: Embedder) -> Path:
    """An index of the shared seeds and dev corpora together, as the question sets expect."""
    index_dir = tmp_path_factory.mktemp("corpus-index")
    ingest([SHARED_CORPUS / "seeds", SHARED_CORPUS / "dev"], index_dir, settings, progress=False, embedder=embedder)
    return index_dir


@pytest.fixture(scope="session")
def corpus_engine(corpus_index: Path, settings: Settings) -> Engine:
    return Engine.open(corpus_index, settings)
