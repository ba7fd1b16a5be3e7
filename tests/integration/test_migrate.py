"""``minutes migrate``: an embedded FAISS index copied into Milvus answers exactly as before, unembedded."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from minutes_qa.cli.app import app
from minutes_qa.contract import Filters
from minutes_qa.rag.engine import Engine
from minutes_qa.settings import Settings
from support import store_of

QUESTIONS = ("What did the board say about workforce risk?", "ICB membership and appointments", "council tax budget")


def test_a_migrated_index_answers_as_the_original(tmp_path: Path, sample_index: Path, sample_engine: Engine, settings: Settings) -> None:
    target = f"milvus-lite:{tmp_path / 'milvus.db'}"
    result = CliRunner().invoke(app, ["migrate", "--from", str(sample_index), "--to", target])
    assert result.exit_code == 0, result.output
    original = sample_engine.reader.manifest
    assert f"{original.documents} documents, {original.chunks} passages and {original.sentences} sentence vectors" in result.stdout

    migrated = Engine.open(tmp_path / "unused", settings.replace(store=target))
    copied = migrated.reader.manifest
    assert (copied.documents, copied.chunks, copied.duplicates, copied.sentences, copied.model) == (
        original.documents, original.chunks, original.duplicates, original.sentences, original.model
    )
    committee = sample_engine.facets().committees[0]
    for question in QUESTIONS:
        assert migrated.ask(question) == sample_engine.ask(question)
        assert migrated.search(question, k=5, filters=Filters(committee=committee)) == sample_engine.search(
            question, k=5, filters=Filters(committee=committee)
        )
    assert store_of(tmp_path / "unused", settings.replace(store=target)).live_generation() == 1


def test_migrating_from_no_index_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["migrate", "--from", str(tmp_path / "nothing"), "--to", f"milvus-lite:{tmp_path / 'm.db'}"])
    assert result.exit_code == 2 and "No index at" in result.output and "Traceback" not in result.output
