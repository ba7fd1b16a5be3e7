"""The ask and search commands over the sample index: their JSON contract through the real command, and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minutes_qa.cli.app import app
from minutes_qa.contract import ABSTAIN_MESSAGE, AskResponse
from minutes_qa.rag.engine import Engine

WORKFORCE_QUESTION = "What did the board say about workforce risk?"
OFF_TOPIC = ("What is the capital of France?", "Who won the 1966 football World Cup?")
ASK_KEYS = {
    "question", "interpreted_as", "answer", "abstained", "direct_answer", "citations", "passages", "suggestions",
    "answer_id",
}
SEARCH_KEYS = {"query", "passages"}
PASSAGE_KEYS = {"id", "rank", "score", "text", "source"}
SOURCE_KEYS = {
    "doc_id", "file", "start", "end", "page", "council", "committee", "meeting_date", "title", "url", "reference"
}
CITATION_KEYS = {"n", "passage_id", "quote"}


def run_cli(*arguments: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    return subprocess.run(
        [sys.executable, "-m", "minutes_qa.cli", *arguments], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def check_passage_shape(passage: dict) -> None:
    assert set(passage) == PASSAGE_KEYS
    assert isinstance(passage["id"], str) and isinstance(passage["text"], str) and passage["text"]
    assert isinstance(passage["rank"], int) and isinstance(passage["score"], float)
    source = passage["source"]
    assert set(source) == SOURCE_KEYS
    assert isinstance(source["doc_id"], str) and isinstance(source["file"], str)
    assert isinstance(source["start"], int) and isinstance(source["end"], int) and source["start"] < source["end"]
    assert source["page"] is None or isinstance(source["page"], int)
    for key in ("council", "committee", "meeting_date", "title", "url"):
        assert source[key] is None or isinstance(source[key], str), key


def test_ask_json_contract(sample_index: Path, sample_engine: Engine, tmp_path: Path) -> None:
    result = run_cli("ask", WORKFORCE_QUESTION, "--index", str(sample_index), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, "exactly one JSON object on stdout"
    body = json.loads(lines[0])
    assert isinstance(body, dict) and set(body) == ASK_KEYS
    assert body["question"] == WORKFORCE_QUESTION
    assert isinstance(body["answer"], str) and body["abstained"] is False
    assert isinstance(body["suggestions"], list)
    assert body["citations"] and all(set(c) == CITATION_KEYS for c in body["citations"])
    assert all(isinstance(c["n"], int) and isinstance(c["quote"], str) for c in body["citations"])
    for passage in body["passages"]:
        check_passage_shape(passage)
    texts = {p["id"]: p["text"] for p in body["passages"]}
    assert all(c["quote"] in texts[c["passage_id"]] for c in body["citations"])
    # The command and the engine in this process give the same answer (scores may differ in the
    # last digits between processes).
    mine = sample_engine.ask(WORKFORCE_QUESTION)
    theirs = AskResponse.model_validate(body)
    assert (theirs.answer, theirs.citations) == (mine.answer, mine.citations)
    assert [(p.id, p.text, p.source) for p in theirs.passages] == [(p.id, p.text, p.source) for p in mine.passages]


def test_search_json_contract(sample_index: Path, tmp_path: Path) -> None:
    result = run_cli("search", "workforce shortages", "--index", str(sample_index), "--json", "--k", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert set(body) == SEARCH_KEYS and body["query"] == "workforce shortages"
    assert len(body["passages"]) == 3 and [p["rank"] for p in body["passages"]] == [1, 2, 3]
    for passage in body["passages"]:
        check_passage_shape(passage)
    assert "workforce" in body["passages"][0]["text"].lower()


def test_abstention_json_contract(sample_index: Path) -> None:
    result = CliRunner().invoke(app, ["ask", OFF_TOPIC[0], "--index", str(sample_index), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert set(body) == ASK_KEYS
    assert body["abstained"] is True and body["answer"] == ABSTAIN_MESSAGE and body["citations"] == []
    assert body["suggestions"] and all(isinstance(s, str) for s in body["suggestions"])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["ask", "   "], "Error: The question is empty: say what you want to know."),
        (["search", ""], "Error: The query is empty"),
        (["ask", "workforce", "--since", "last tuesday"], "--since must be a date written YYYY-MM-DD"),
        (["search", "workforce", "--until", "2020-13-45"], "--until must be a date written YYYY-MM-DD"),
        (["ask", "workforce", "--since", "2021-01-01", "--until", "2020-01-01"], "Error: The start date (2021-01-01) is after"),
        (["ask", "workforce", "--k", "0"], "Error: k must be between 1 and 50 (got 0)."),
        (["search", "workforce", "--k", "-3"], "Error: k must be between 1 and 50 (got -3)."),
        (["ask", "workforce", "--retriever", "magic"], "Error: retriever: Input should be 'hybrid', 'dense' or 'bm25'."),
        (["ask", "x" * 1001], "Error: The question is 1,001 characters long; the limit is 1,000"),
    ],
)
def test_cli_bad_input(sample_index: Path, arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(app, [*arguments, "--index", str(sample_index)])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_bad_input_in_a_real_process(tmp_path: Path) -> None:
    """The installed command prints a one-line error, never a traceback."""
    missing = run_cli("ask", "workforce", "--index", str(tmp_path / "no-index"), "--json", cwd=tmp_path)
    assert missing.returncode == 2
    assert "No index at" in missing.stderr and "Traceback" not in missing.stderr + missing.stdout
    assert missing.stdout == ""
    bad_date = run_cli("search", "workforce", "--since", "yesterday", "--index", str(tmp_path), cwd=tmp_path)
    assert bad_date.returncode == 2
    assert "--since must be a date" in bad_date.stderr and "Traceback" not in bad_date.stderr
