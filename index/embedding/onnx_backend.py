"""ONNX Runtime backend: the packaged sentence-transformers model, exported once, run without PyTorch.

At first use the model's transformer is exported from its local weights with ``torch.onnx.export``,
its graph fused by ONNX Runtime's transformer optimiser (attention, GELU and layer-norm kernels:
this, not the plain export, is what makes it faster than PyTorch), optionally int8-quantised, checked
against PyTorch on probe texts, and cached under a folder named by a hash of the weights and of
this recipe. Nothing is ever downloaded. Later loads need only onnxruntime and the tokenizer.

Mean pooling over the attention mask and L2 normalisation are done here exactly as
sentence-transformers does them, so vectors match the torch backend's (cosine ~1.0 for fp32).

The int8 model quantises activations dynamically, with one scale per run: a text batched with
others would get a vector that depends on its batch-mates. So int8 embeds every text alone (no
padding), several texts at once on single-threaded runs, one per core; a text's vector is then
a function of the text only, bit for bit, whatever it is embedded with. fp32's kernels are
independent of the batch already, so it keeps length-sorted batches.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tqdm import tqdm

from ..errors import WritePathError
from .base import Embedder, mean_pool_normalise
from .bf16_bulk import Bf16Bulk, Bf16BulkEncoder

# Bump when the export, fusion or quantisation below changes: the cache key includes it.
EXPORT_RECIPE = 3
_INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "config.json")
# The export is verified against PyTorch on these before it is cached; lengths differ on purpose
# so padding and dynamic shapes are exercised.
PROBE_TEXTS = (
    "Apologies for absence were received from Councillor Smith.",
    "RESOLVED: That the Health and Wellbeing Board notes the update on the Integrated Care Strategy "
    "and agrees the priorities set out in section 3 of the report, subject to the changes agreed.",
    "Minutes",
)
_MIN_PROBE_COSINE_FP32 = 0.999
_MIN_PROBE_COSINE_INT8 = 0.97
# Texts are tokenised and length-sorted this many at a time: sorting a wider window saves almost no
# padding, and token ids of a whole 1M-passage ingest as Python lists would take gigabytes.
_SORT_WINDOW = 4096
# ONNX Runtime's SkipLayerNormalization CPU kernel took 4x the time of the Add + LayerNormalization
# it replaces (0.66 s against 0.16 s on 24k tokens, a quarter of the int8 model's time); the
# export leaves the pair unfused and every session keeps it so.
_SLOWER_FUSIONS = ["SkipLayerNormFusion"]


def default_cache_dir() -> Path:
    """Where exports go when ``embed_cache_dir`` is unset: the user's cache, per XDG."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "minutes-qa" / "onnx"


class OnnxRuntimeEmbedder(Embedder):
    """A transformer returning its last hidden state, on ONNX Runtime (CPU), with length-sorted batching.

    Subclasses say where the ONNX file comes from: they set ``onnx_path``, ``session`` (from
    ``new_session``), ``_dimension`` and ``_max_tokens``, then call ``_warm_up``. The one session is
    reused for every call, so single queries pay only tokenisation and one run; ``run`` is
    thread-safe in ONNX Runtime. A subclass whose model is batch-dependent sets ``_text_pool``
    (and a single-threaded session): each text then runs alone, as many at a time as the pool has threads.
    """

    onnx_path: Path
    session: ort.InferenceSession
    _dimension: int
    _max_tokens: int
    _text_pool: ThreadPoolExecutor | None = None

    def _warm_up(self) -> None:
        self.encode(["warm-up"])  # first run allocates the memory arena; keep that off the first query

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        with tqdm(total=len(texts), desc="Embedding", unit="passage", disable=not progress) as bar:
            for offset in range(0, len(texts), _SORT_WINDOW):
                window = list(texts[offset : offset + _SORT_WINDOW])
                vectors[offset : offset + len(window)] = self._encode_window(window, batch_size, bar)
        return vectors

    def _encode_window(self, texts: list[str], batch_size: int, bar: tqdm) -> np.ndarray:
        ids = self.tokenizer(texts, truncation=True, max_length=self.max_tokens)["input_ids"]
        if self._text_pool is not None:
            return self._encode_alone(self._text_pool, ids, bar)
        # Longest first, so each batch pads to nearly its own length (and a progress bar's
        # first estimate is pessimistic rather than hopeful).
        order = sorted(range(len(ids)), key=lambda row: -len(ids[row]))
        vectors = np.empty((len(ids), self.dimension), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            input_ids, mask = _pad([ids[row] for row in rows], self.tokenizer.pad_token_id or 0)
            vectors[rows] = _run(self.session, input_ids, mask)
            bar.update(len(rows))
        return vectors

    def _encode_alone(self, pool: ThreadPoolExecutor, ids: list[list[int]], bar: tqdm) -> np.ndarray:
        """Each text in a run of its own, one per thread of ``pool`` at a time (ONNX Runtime frees the GIL)."""

        def embed(row: list[int]) -> np.ndarray:
            input_ids = np.array([row], dtype=np.int64)
            return _run(self.session, input_ids, np.ones_like(input_ids))[0]

        if len(ids) == 1:  # a query: no pool hand-off
            vectors = embed(ids[0])[None]
        else:
            vectors = np.empty((len(ids), self.dimension), dtype=np.float32)
            for row, vector in enumerate(pool.map(embed, ids)):
                vectors[row] = vector
        bar.update(len(ids))
        return vectors


class OnnxEmbedder(OnnxRuntimeEmbedder):
    """A sentence-transformers model exported to ONNX at first use, fp32 or int8 (see the module doc).

    ``threads`` caps the cores one ``encode`` uses: fp32's threads per run, int8's runs at a time.
    With ``bulk``, fp32's ``encode_corpus`` runs in bfloat16 on PyTorch (see :mod:`.bf16_bulk`);
    questions stay fp32 on ONNX Runtime.
    """

    def __init__(
        self, model_id: str, quantized: bool = False, cache_dir: Path | None = None, threads: int | None = None,
        bulk: Bf16Bulk | None = None,
    ) -> None:
        super().__init__(model_id)
        self.backend = "onnx-int8" if quantized else "onnx"
        self._dimension, self._max_tokens = _read_model_config(self.model_path)
        export_dir = (cache_dir or default_cache_dir()) / f"{_slug(model_id)}-{_model_hash(self.model_path)}"
        self.onnx_path = ensure_export(self.model_path, export_dir, quantized)
        if quantized:
            self._text_pool = ThreadPoolExecutor(threads or _usable_cores(), thread_name_prefix="embed")
            self.session = new_session(self.onnx_path, 1)
        else:
            self.session = new_session(self.onnx_path, threads)
        self._bulk_min_texts = bulk.min_texts if bulk is not None else 0
        self._bulk = None if bulk is None or quantized else Bf16BulkEncoder(
            self.model_path, self.tokenizer, self.max_tokens, bulk.batch_tokens
        )
        self._bulk_checked = False
        self._warm_up()

    @property
    def ingest_precision(self) -> str:
        """What ``encode_corpus`` computes in: bf16 or this backend's own precision."""
        return "bf16" if self._bulk is not None else ("int8" if self.backend == "onnx-int8" else "fp32")

    def encode_corpus(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        if self._bulk is None or len(texts) < max(self._bulk_min_texts, 1):
            return self.encode(texts, batch_size=batch_size)
        if not self._bulk_checked:
            self._bulk.check(PROBE_TEXTS, self.encode(PROBE_TEXTS))
            self._bulk_checked = True
        return self._bulk.encode(texts)


def _run(session: ort.InferenceSession, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Unit vectors for one padded batch; single-segment input, so token types are all zero."""
    inputs = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}
    # The optimiser may drop an input the graph does not use (token types, for some models).
    feeds = {arg.name: inputs[arg.name] for arg in session.get_inputs()}
    return mean_pool_normalise(session.run(None, feeds)[0], mask)


def ensure_export(model_path: Path, export_dir: Path, quantized: bool) -> Path:
    """The cached ONNX file for ``model_path``, exporting (and quantising) it first if missing."""
    fp32 = export_dir / "model.onnx"
    if not fp32.exists():
        _export_fp32(model_path, fp32)
    if not quantized:
        return fp32
    int8 = export_dir / "model-int8.onnx"
    if not int8.exists():
        _quantize(model_path, fp32, int8)
    return int8


def _export_fp32(model_path: Path, target: Path) -> None:
    """Export the transformer, fuse its graph, verify it against PyTorch, then publish it atomically."""
    import torch
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model
    from transformers import AutoModel, AutoTokenizer

    # Eager attention exports as plain MatMul/Softmax, the pattern the optimiser fuses; SDPA does not.
    model = AutoModel.from_pretrained(str(model_path), attn_implementation="eager").eval()
    tokenizer = AutoTokenizer.from_pretrained(str(model_path))
    # The reference is taken before tracing: the tracer leaves the model unfit for eager use.
    with torch.no_grad():
        encoded = tokenizer(list(PROBE_TEXTS), padding=True, return_tensors="pt")
        hidden = model(**encoded).last_hidden_state.numpy()
    reference = mean_pool_normalise(hidden, encoded["attention_mask"].numpy())
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as scratch:
        raw = Path(scratch) / "raw.onnx"
        # Three distinct tensors: the tracer identifies inputs by object, so a shared one would merge them.
        shape = (2, 8)
        example = (torch.ones(shape, dtype=torch.long), torch.ones(shape, dtype=torch.long),
                   torch.zeros(shape, dtype=torch.long))
        axes = {name: {0: "batch", 1: "sequence"} for name in (*_INPUT_NAMES, "last_hidden_state")}
        with torch.no_grad(), warnings.catch_warnings():
            # The tracer warns about shape-dependent Python branches in transformers' mask code;
            # the probe check below is what proves the graph right for other shapes.
            warnings.simplefilter("ignore", category=torch.jit.TracerWarning)
            warnings.simplefilter("ignore", category=DeprecationWarning)
            # Warns that negative gather indices would export wrongly; the model uses none, and
            # the probe check would catch it if it did.
            warnings.filterwarnings("ignore", message="Exporting aten::index operator")
            torch.onnx.export(
                _hidden_states_module(model), example, str(raw), input_names=list(_INPUT_NAMES),
                output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False,
            )
        fusions = FusionOptions("bert")
        fusions.enable_skip_layer_norm = fusions.enable_bias_skip_layer_norm = False  # see _SLOWER_FUSIONS
        fused = optimize_model(
            str(raw), model_type="bert", num_heads=model.config.num_attention_heads,
            hidden_size=model.config.hidden_size, opt_level=1, optimization_options=fusions,
        )
        staged = Path(scratch) / target.name
        fused.save_model_to_file(str(staged))
        _check_probes(staged, reference, tokenizer, _MIN_PROBE_COSINE_FP32)
        os.replace(staged, target)


def _hidden_states_module(model):
    """``model`` as a module taking the three inputs positionally and returning the last hidden state.

    transformers' own ``forward`` takes other arguments in those positions, so the tracer needs this.
    """
    import torch

    class HiddenStates(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    return HiddenStates()


def _quantize(model_path: Path, fp32: Path, target: Path) -> None:
    """Dynamic int8 (weights per output channel, activations per run), checked against fp32.

    Measured on the 485 seed and dev passages: per-tensor weight scales let the worst passage's
    cosine to PyTorch fall to 0.93; per-channel keeps it at 0.986 (mean 0.994) at 1.9x the fp32
    speed. Keeping each FFN output projection in fp32 as well raised the worst to 0.993 but left
    only 1.07x, so it is not done. Static quantisation (fixed activation scales from calibration
    texts) was tried for batch independence and rejected: fused attention stays fp32 under it, so
    it ran slower than this, and BERT's outlier activations cut the worst cosine to fp32 to 0.79.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_path))
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".quantize-") as scratch:
        staged = Path(scratch) / target.name
        quantize_dynamic(
            str(fp32), str(staged), weight_type=QuantType.QInt8, per_channel=True,
            # The fused contrib ops defeat ONNX shape inference; their outputs are float32.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        _check_probes(staged, _probe_vectors(new_session(fp32), tokenizer), tokenizer, _MIN_PROBE_COSINE_INT8, alone=True)
        os.replace(staged, target)


def _probe_vectors(session: ort.InferenceSession, tokenizer, alone: bool = False) -> np.ndarray:
    """The probes' vectors, as one padded batch or (as int8 runs them) each text alone."""
    batches = [[text] for text in PROBE_TEXTS] if alone else [list(PROBE_TEXTS)]
    vectors = []
    for batch in batches:
        encoded = tokenizer(batch, padding=True, return_tensors="np")
        vectors.append(_run(session, encoded["input_ids"].astype(np.int64), encoded["attention_mask"].astype(np.int64)))
    return np.vstack(vectors)


def _check_probes(candidate: Path, reference: np.ndarray, tokenizer, min_cosine: float, alone: bool = False) -> None:
    """Refuse to cache an export whose probe vectors stray from ``reference``."""
    cosines = (_probe_vectors(new_session(candidate), tokenizer, alone) * reference).sum(axis=1)
    if cosines.min() < min_cosine:
        raise WritePathError(
            f"The ONNX export {candidate.name} disagrees with its reference (cosine {cosines.min():.4f} < "
            f"{min_cosine}); it was not cached. Use MINUTES_EMBED_BACKEND=torch."
        )


def new_session(path: Path, threads: int | None = None) -> ort.InferenceSession:
    """A CPU session tuned for a shared machine: ``threads`` per run (default: all our cores), no spinning."""
    options = ort.SessionOptions()
    # One run uses every core we may use; running two graphs side by side would only contend.
    # A service answering concurrent requests asks for fewer (Settings.inference_threads).
    options.intra_op_num_threads = threads or _usable_cores()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # Spinning workers made a single query 2-3x slower whenever the cores were shared with
    # other work (the server's own threads, BM25); without it an idle machine loses next to nothing.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(
        str(path), options, providers=["CPUExecutionProvider"], disabled_optimizers=_SLOWER_FUSIONS
    )


def _usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _pad(batch: list[list[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    width = max(len(ids) for ids in batch)
    input_ids = np.full((len(batch), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(batch), width), dtype=np.int64)
    for row, ids in enumerate(batch):
        input_ids[row, : len(ids)] = ids
        mask[row, : len(ids)] = 1
    return input_ids, mask


def _model_hash(model_path: Path) -> str:
    """Hash of the weights, the model config, this recipe and the runtime that fused the graph."""
    digest = hashlib.sha256(f"recipe={EXPORT_RECIPE};onnxruntime={ort.__version__}".encode())
    for name in _WEIGHT_FILES:
        file = model_path / name
        if file.exists():
            digest.update(name.encode())
            with open(file, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:16]


def _slug(model_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in Path(model_id).name or model_id).strip("-")


def _read_model_config(model_path: Path) -> tuple[int, int]:
    """(dimension, max_tokens) from the sentence-transformers config; only mean pooling is supported."""
    modules = json.loads((model_path / "modules.json").read_text(encoding="utf-8"))
    pooling = next((m for m in modules if m["type"].endswith("Pooling")), None)
    if pooling is None:
        raise WritePathError(f"{model_path} has no pooling module: the ONNX backend needs mean pooling.")
    pooling_config = json.loads((model_path / pooling["path"] / "config.json").read_text(encoding="utf-8"))
    modes = [key for key, value in pooling_config.items() if key.startswith("pooling_mode_") and value]
    if modes != ["pooling_mode_mean_tokens"]:
        raise WritePathError(f"{model_path} pools with {modes}: the ONNX backend supports mean pooling only.")
    st_config = json.loads((model_path / "sentence_bert_config.json").read_text(encoding="utf-8"))
    return int(pooling_config["word_embedding_dimension"]), int(st_config["max_seq_length"])
