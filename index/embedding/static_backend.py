"""Static embeddings: a token-embedding table, looked up and averaged (WordLlama's weights).

WordLlama's inference is exactly this: tokenize without special tokens, take each token's row of
the table, average, normalise. It is done here with ``tokenizers`` and ``safetensors`` (already
installed for transformers) rather than through the ``wordllama`` package, whose wheel serves
only as the carrier of the two files: importing it calls ``logging.basicConfig(level=INFO)`` for
the whole process, and its own loader looks for the tokenizer in a folder the wheel does not
have and then tries to download it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer
from tqdm import tqdm

from .base import Embedder
from .registry import packaged_max_tokens, resolve_tokenizer_path

# The tensor's name in WordLlama's weight files.
_TABLE_KEY = "embedding.weight"


class StaticEmbedder(Embedder):
    """Mean of the tokens' table rows, L2-normalised; a text without tokens gets the zero vector."""

    backend = "static"

    def __init__(self, model_id: str) -> None:
        super().__init__(model_id)
        # Stored as float16; widened once so every sum is float32 without a per-call copy.
        self.table = np.ascontiguousarray(load_file(str(self.model_path))[_TABLE_KEY], dtype=np.float32)
        self._max_tokens = packaged_max_tokens(model_id)

    @cached_property
    def tokenizer(self) -> Tokenizer:
        tokenizer = Tokenizer.from_file(str(resolve_tokenizer_path(self.model_id)))
        # The file enables padding, which would make every count the batch's longest; truncation
        # is left off so counts are true, and ``encode`` cuts at max_tokens itself.
        tokenizer.no_padding()
        tokenizer.no_truncation()
        return tokenizer

    @property
    def dimension(self) -> int:
        return int(self.table.shape[1])

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(encoding.ids) for encoding in self._tokenize(texts)] if texts else []

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        with tqdm(total=len(texts), desc="Embedding", unit="passage", disable=not progress) as bar:
            for start in range(0, len(texts), batch_size):
                batch = self._tokenize(texts[start : start + batch_size])
                ids = [encoding.ids[: self._max_tokens] for encoding in batch]
                vectors[start : start + len(batch)] = self._pool(ids)
                bar.update(len(batch))
        return vectors

    def _tokenize(self, texts: Sequence[str]) -> list:
        # No [BOS]: WordLlama was trained on plain token rows.
        return self.tokenizer.encode_batch(list(texts), add_special_tokens=False)

    def _pool(self, ids: list[list[int]]) -> np.ndarray:
        """Normalised mean rows, one per id list, without padding: one gather and one segment sum."""
        lengths = np.array([len(row) for row in ids])
        pooled = np.zeros((len(ids), self.dimension), dtype=np.float32)
        filled = lengths > 0
        if filled.any():
            flat = np.fromiter((token for row in ids for token in row), dtype=np.int64, count=int(lengths.sum()))
            starts = np.concatenate(([0], np.cumsum(lengths[filled])[:-1]))
            pooled[filled] = np.add.reduceat(self.table[flat], starts, axis=0) / lengths[filled, None]
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.where(norms > 0, norms, 1.0)
