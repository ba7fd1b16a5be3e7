"""Bulk embedding for the write path in bfloat16, on CPUs with bf16 matrix units (AMX, AVX512-BF16).

An ingest embeds hundreds of thousands of passages and sentences; a question is one short text. On
a CPU that multiplies bfloat16 matrices in hardware, the model cast to bf16 runs on PyTorch with
its matrix products accumulating in fp32, and pooling is done in fp32: measured on the seed and dev
minutes, over 3x the passages per second of the same model in fp32, every vector within cosine
0.9998 of fp32's (int8 quantisation, the other fast path, strays to 0.986 and costs answer
quality; autocast, which keeps layer norms in fp32, came to 0.99994 but ran 30% slower). Questions
keep the fp32 ONNX model, whose single short runs are faster; vectors from the two agree to three
decimal places or better, which :meth:`Bf16BulkEncoder.check` verifies on probe texts before the
first ingest uses it.

Texts are batched by a token budget rather than a count: long passages go a few at a time, short
sentences many, so each matrix product is about the same size and padding stays small.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import WritePathError
from .base import mean_pool_normalise

# Below this a bf16 vector is not the fp32 model's vector: refuse rather than write a worse index.
MIN_PROBE_COSINE = 0.9995
_CPU_FLAGS_WITH_BF16_MATRIX_UNITS = frozenset({"amx_bf16", "avx512_bf16"})


@dataclass(frozen=True)
class Bf16Bulk:
    """How an embedder embeds in bf16: ``batch_tokens`` word pieces a batch, and only calls of at
    least ``min_texts`` texts (smaller ones stay fp32: PyTorch's load and kernel preparation cost
    seconds, which a small ingest does not win back)."""

    batch_tokens: int
    min_texts: int


def has_bf16_matrix_units(cpu_flags: set[str]) -> bool:
    """True if the CPU multiplies bf16 matrices natively; elsewhere bf16 is emulated and slower than fp32."""
    return bool(cpu_flags & _CPU_FLAGS_WITH_BF16_MATRIX_UNITS)


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The CPU feature flags Linux reports (empty elsewhere: bf16 is then not used by default)."""
    if not cpuinfo.exists():
        return set()
    for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def token_budget_batches(lengths: Sequence[int], max_tokens: int) -> list[list[int]]:
    """Row numbers grouped into batches, longest texts first, each batch padded to its first text's
    length holding at most ``max_tokens`` tokens (padding included); a text longer than the budget
    goes alone."""
    order = sorted(range(len(lengths)), key=lambda row: -lengths[row])
    batches: list[list[int]] = []
    for row in order:
        if batches and lengths[batches[-1][0]] * (len(batches[-1]) + 1) <= max_tokens:
            batches[-1].append(row)
        else:
            batches.append([row])
    return batches


class Bf16BulkEncoder:
    """The sentence-transformers model's transformer on PyTorch in bf16, mean-pooled in fp32 as
    sentence-transformers pools it. Loaded at first use (the read path never needs PyTorch)."""

    def __init__(self, model_path: Path, tokenizer, max_tokens: int, batch_tokens: int) -> None:
        self._model_path = model_path
        self._tokenizer = tokenizer
        self._max_tokens = max_tokens
        self._batch_tokens = batch_tokens
        self._model = None
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of ``texts`` as float32, in their order."""
        import torch

        model = self._loaded()
        ids = self._tokenizer(list(texts), truncation=True, max_length=self._max_tokens)["input_ids"]
        vectors = np.empty((len(ids), model.config.hidden_size), dtype=np.float32)
        pad_id = self._tokenizer.pad_token_id or 0
        with torch.inference_mode():
            for rows in token_budget_batches([len(row) for row in ids], self._batch_tokens):
                width = len(ids[rows[0]])
                input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
                mask = torch.zeros((len(rows), width), dtype=torch.long)
                for position, row in enumerate(rows):
                    input_ids[position, : len(ids[row])] = torch.tensor(ids[row])
                    mask[position, : len(ids[row])] = 1
                hidden = model(input_ids=input_ids, attention_mask=mask, token_type_ids=torch.zeros_like(input_ids))
                vectors[rows] = mean_pool_normalise(hidden.last_hidden_state.float().numpy(), mask.numpy())
        return vectors

    def check(self, probes: Sequence[str], reference: np.ndarray) -> None:
        """Refuse bf16 if its vectors of ``probes`` stray from the fp32 ``reference``."""
        cosines = (self.encode(probes) * reference).sum(axis=1)
        if cosines.min() < MIN_PROBE_COSINE:
            raise WritePathError(
                f"Embedding in bfloat16 gives vectors unlike the model's (cosine {cosines.min():.5f} < "
                f"{MIN_PROBE_COSINE}) on this machine. Set MINUTES_INGEST_PRECISION=fp32 and ingest again."
            )

    def _loaded(self):
        with self._lock:
            if self._model is None:
                import torch
                from transformers import AutoModel

                self._model = AutoModel.from_pretrained(str(self._model_path), dtype=torch.bfloat16).eval()
            return self._model
