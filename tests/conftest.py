"""Session-wide fixtures: the embedding model loads once, each shared index is built once."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from minutes_qa.index.embedding import Embedder  # noqa: E402
from minutes_qa.index.ingest import ingest  # noqa: E402
from minutes_qa.settings import Settings  # noqa: E402
from minutes_qa.rag.engine import Engine, shared_embedder  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLE_CORPUS = REPO / "sample" / "corpus"
SHARED = REPO.parent / "shared"
SHARED_CORPUS = SHARED / "corpus"
SHARED_EVAL = SHARED / "eval"


@contextmanager
def sigint_for_children(ignored: bool = False) -> Iterator[None]:
    """Processes started inside get SIGINT as a terminal's foreground job has it (Ctrl-C stops them)
    or, with ``ignored``, as a shell's background job has it (ignored).

    A test run started as a background job (``make test &``, some CI runners) ignores SIGINT, and
    an ignored signal stays ignored across exec, whereas a handled one is reset to its default:
    without this, a test that sends SIGINT to a child would pass or fail by how pytest was started.
    """
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN if ignored else signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Default settings, as a fresh user has them."""
    return Settings()


@pytest.fixture(scope="session")
def embedder(settings: Settings) -> Embedder:
    return shared_embedder(settings.model, settings.embed_backend, settings.embed_cache_dir)


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
