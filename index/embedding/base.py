"""What every embedding backend provides."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from .registry import resolve_model_path, resolve_tokenizer_path


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors."""

    model_id: str
    backend: str

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id
        # A sentence-transformers folder, or the one file a packaged model's family reads.
        self.model_path: Path = resolve_model_path(model_id)

    @property
    @abstractmethod
    def dimension(self) -> int:
        """Length of every vector."""

    @property
    @abstractmethod
    def max_tokens(self) -> int:
        """Tokens the model reads, special tokens included; the rest is silently dropped."""

    @abstractmethod
    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        """Embed ``texts`` as a (len(texts), dimension) float32 array of unit vectors."""

    @property
    def ingest_precision(self) -> str:
        """What ``encode_corpus`` computes in."""
        return "fp32"

    def encode_corpus(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embed many texts for the write path (passages, sentences); backends with a faster way to
        embed in bulk than they embed questions override this."""
        return self.encode(texts, batch_size=batch_size)

    @cached_property
    def tokenizer(self):
        """The model's Hugging Face tokenizer (backends with a tokenizer of another kind override this)."""
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(resolve_tokenizer_path(self.model_id)))

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text as the model sees it, special tokens included; chunking budgets with it."""
        if not texts:
            return []
        encoded = self.tokenizer(list(texts), add_special_tokens=True, truncation=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def encode_query(self, text: str) -> np.ndarray:
        """Embed one query as a read-only (dimension,) vector; repeated queries come from a cache."""
        return self._query_cache(text)

    @cached_property
    def _query_cache(self) -> Callable[[str], np.ndarray]:
        # One cache per embedder: a cache on the method, shared by the class, would keep every
        # embedder that ever answered a query (and its model) in memory.
        return lru_cache(maxsize=1024)(self._read_only_query)

    def _read_only_query(self, text: str) -> np.ndarray:
        # One question is embedded by retrieval, abstention and sentence scoring alike.
        vector = self._embed_query(text)
        vector.flags.writeable = False
        return vector

    def _embed_query(self, text: str) -> np.ndarray:
        """One query's vector; models that embed questions unlike passages override this."""
        return self.encode([text], batch_size=1)[0]


def mean_pool_normalise(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' mean pooling over unmasked tokens, then L2 normalisation."""
    weights = mask.astype(np.float32)
    summed = np.einsum("bsd,bs->bd", hidden.astype(np.float32, copy=False), weights)
    pooled = summed / np.clip(weights.sum(axis=1, keepdims=True), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32, copy=False)
