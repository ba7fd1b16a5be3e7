"""``minutes ask --history`` and ``minutes chat``, driven as a member would drive them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from minutes_qa.cli.app import app

CROYDON = "How much did Croydon get from the adult social care discharge fund in 2022?"
FOLLOW_UP = "What about Hammersmith and Fulham?"
READ_AS = "How much did Hammersmith and Fulham get from the adult social care discharge fund in 2022?"


def _history_file(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "history.json"
    path.write_text(content, encoding="utf-8")
    return path


def test_ask_with_a_history_file(corpus_index: Path, tmp_path: Path) -> None:
    history = _history_file(tmp_path, json.dumps([{"question": CROYDON, "interpreted_as": CROYDON}]))
    result = CliRunner().invoke(app, ["ask", FOLLOW_UP, "--index", str(corpus_index), "--history", str(history), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["question"] == FOLLOW_UP
    assert body["interpreted_as"] == READ_AS
    assert body["passages"][0]["source"]["council"] == "London Borough of Hammersmith & Fulham"


def test_ask_for_people_shows_the_reading(corpus_index: Path, tmp_path: Path) -> None:
    history = _history_file(tmp_path, json.dumps([{"question": CROYDON, "interpreted_as": CROYDON}]))
    result = CliRunner().invoke(app, ["ask", FOLLOW_UP, "--index", str(corpus_index), "--history", str(history)])
    assert result.exit_code == 0, result.output
    assert f"Answered as: {READ_AS}" in " ".join(result.stdout.split())


def test_bad_history_files_are_named_in_the_error(corpus_index: Path, tmp_path: Path) -> None:
    cases = {
        "not json": "not a JSON list of turns",
        json.dumps({"question": CROYDON}): "not a JSON list of turns",
        json.dumps([{"question": CROYDON}]): "interpreted_as: Field required",
    }
    for content, message in cases.items():
        path = _history_file(tmp_path, content)
        result = CliRunner().invoke(app, ["ask", FOLLOW_UP, "--index", str(corpus_index), "--history", str(path)])
        assert result.exit_code == 2, content
        error = " ".join(result.stderr.split())
        assert str(path) in error and message in error, error
    too_long = _history_file(tmp_path, json.dumps([{"question": "Why?", "interpreted_as": "Why?"}] * 11))
    result = CliRunner().invoke(app, ["ask", FOLLOW_UP, "--index", str(corpus_index), "--history", str(too_long)])
    assert result.exit_code == 2 and "The history has 11 turns; the limit is 10" in " ".join(result.stderr.split())
    missing = tmp_path / "missing.json"
    result = CliRunner().invoke(app, ["ask", FOLLOW_UP, "--index", str(corpus_index), "--history", str(missing)])
    assert result.exit_code == 2 and "Cannot read the history file" in result.stderr and "missing.json" in result.stderr


def test_chat_reads_follow_ups_in_context_until_quit(corpus_index: Path) -> None:
    typed = f"{CROYDON}\n{FOLLOW_UP}\n/quit\nnever asked\n"
    result = CliRunner().invoke(app, ["chat", "--index", str(corpus_index)], input=typed)
    assert result.exit_code == 0, result.output
    output = " ".join(result.stdout.split())
    assert f"Answered as: {READ_AS}" in output
    assert output.count("Answer ") >= 2 and "[1]" in output
    assert output.count("You:") == 3  # nothing is read after /quit


def test_chat_refuses_a_question_over_the_limit_with_the_contracts_message(corpus_index: Path) -> None:
    typed = f"{'x' * 1001}\n{CROYDON}\n/quit\n"
    result = CliRunner().invoke(app, ["chat", "--index", str(corpus_index)], input=typed)
    assert result.exit_code == 0, result.output
    output = " ".join(result.stdout.split())
    assert "Error: The question is 1,001 characters long; the limit is 1,000" in output
    assert output.count("[1]") >= 1  # the chat goes on: the next question is answered


def test_chat_new_conversation_forgets_the_earlier_turns(corpus_index: Path) -> None:
    typed = f"{CROYDON}\n/new\n{FOLLOW_UP}\n"  # ends without /quit: the end of input ends the chat
    result = CliRunner().invoke(app, ["chat", "--index", str(corpus_index)], input=typed)
    assert result.exit_code == 0, result.output
    output = " ".join(result.stdout.split())
    assert "New conversation" in output
    assert "Answered as" not in output


def test_chat_unknown_command_and_missing_service(corpus_index: Path) -> None:
    result = CliRunner().invoke(app, ["chat", "--index", str(corpus_index)], input="/help\n/quit\n")
    assert result.exit_code == 0 and "Unknown command /help" in result.stdout
    refused = CliRunner().invoke(app, ["chat", "--api", "http://127.0.0.1:9"])
    assert refused.exit_code == 2 and "not reachable" in refused.stderr
