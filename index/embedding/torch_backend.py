"""The reference backend: sentence-transformers on PyTorch."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .base import Embedder


class TorchEmbedder(Embedder):
    """sentence-transformers on PyTorch (CPU). Sorts by length inside ``encode``."""

    backend = "torch"

    def __init__(self, model_id: str) -> None:
        super().__init__(model_id)
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(self.model_path), device="cpu")

    @property
    def dimension(self) -> int:
        dimension = self.model.get_embedding_dimension()
        if dimension is None:
            raise ValueError(f"The model {self.model_id} ({self.model_path}) does not state its vector length: use another model.")
        return int(dimension)

    @property
    def max_tokens(self) -> int:
        max_tokens = self.model.max_seq_length
        if max_tokens is None:
            raise ValueError(f"The model {self.model_id} ({self.model_path}) does not state how many tokens it reads: use another model.")
        return int(max_tokens)

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
