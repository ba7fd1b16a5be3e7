"""Reports and comparisons rendered from a hand-made run, and the CLI's handling of bad input."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from minutes_qa.eval.cli import eval_command, parse_configs, run_compare
from minutes_qa.eval.compare import compare_reports
from minutes_qa.eval.metrics import score_config
from minutes_qa.eval.report import (
    build_report,
    load_report,
    markdown_escape,
    render_markdown,
    summary_table,
    write_reports,
)
from minutes_qa.eval.runner import EvalError
from support import GOLD_A, HIT_A, MISS, make_question, make_result

META = {"question_files": ["set.jsonl"], "corpus": ["corpus"], "api": None, "configs": ["dense", "hybrid"], "k": 10}


def make_report(hybrid_finds_it: bool = True) -> dict:
    questions = [make_question("one", 1, keywords=("board",)), make_question("unans", 0)]
    spans = {"one": (GOLD_A,), "unans": ()}
    results = {
        "dense": [
            make_result(questions[0], [MISS, HIT_A], cited=[2]),
            make_result(questions[1], [MISS], abstained=True),
        ],
        "hybrid": [
            make_result(questions[0], [HIT_A if hybrid_finds_it else MISS, MISS], cited=[1]),
            make_result(questions[1], [MISS], cited=[1]),
        ],
    }
    scores = {config: score_config(config_results, k=10) for config, config_results in results.items()}
    return build_report(META, questions, spans, results, scores)


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("eval")(eval_command)
    app.command("noop")(lambda: None)  # a second command, as in minutes/cli.py, so "eval" is a subcommand
    return app


def test_report_json_holds_figures_passages_and_answers(tmp_path: Path) -> None:
    report = make_report()
    paths = write_reports(report, tmp_path)
    loaded = load_report(paths["json"])
    assert loaded["configs"]["hybrid"]["overall"]["hit@1"] == 1.0
    assert loaded["configs"]["dense"]["overall"]["mrr@10"] == 0.5
    question = loaded["questions"][0]
    assert question["gold"][0]["spans"] == [[100, 200]]
    dense = question["results"]["dense"]
    assert dense["first_relevant_rank"] == 2
    assert [passage["gold"] for passage in dense["passages"]] == [[], [0]]
    assert dense["citations"][0]["good"] is True
    assert loaded["meta"]["types"] == {"factoid": 1, "unanswerable": 1}
    assert paths["chart"].read_bytes().startswith(b"\x89PNG")


def test_markdown_has_tables_per_config_and_type_and_worst_questions() -> None:
    markdown = render_markdown(make_report(hybrid_finds_it=False))
    assert "| dense | 0.000 | 1.000 |" in markdown
    assert "## hybrid: by question type" in markdown
    assert "| unanswerable | 1 | – |" in markdown
    assert "### one (factoid)" in markdown
    assert "First relevant passage: none retrieved" in markdown
    assert "Unanswerable questions answered instead of abstaining: unans" in markdown


def test_markdown_escape_defuses_minutes_text() -> None:
    assert markdown_escape("a | b\n<script>*x*</script> [link](http://e)") == (
        "a \\| b &lt;script&gt;\\*x\\*&lt;/script&gt; \\[link\\](http://e)"
    )


def test_summary_table_turns_sideways_when_narrow() -> None:
    report = make_report()
    wide, narrow = summary_table(report, width=300), summary_table(report, width=80)
    assert [str(column.header) for column in wide.columns][:2] == ["config", "hit@1"]
    assert [str(column.header) for column in narrow.columns] == ["figure", "dense", "hybrid"]


def test_compare_lists_question_changes_and_deltas() -> None:
    comparison = compare_reports(make_report(hybrid_finds_it=True), make_report(hybrid_finds_it=False))
    changed = {(change.question_id, change.config, change.field): change for change in comparison.changes}
    rank = changed[("one", "hybrid", "first relevant rank")]
    assert (rank.before, rank.after, rank.better) == (1, None, False)
    assert ("one", "dense", "first relevant rank") not in changed
    assert comparison.metric_deltas["hybrid"]["hit@1"] == (1.0, 0.0)
    assert comparison.metric_deltas["dense"]["hit@1"] == (0.0, 0.0)


def test_run_compare_prints_changes(tmp_path: Path) -> None:
    write_reports(make_report(hybrid_finds_it=True), tmp_path / "a")
    write_reports(make_report(hybrid_finds_it=False), tmp_path / "b")
    console = Console(record=True, width=200)
    run_compare(tmp_path / "a" / "report.json", tmp_path / "b" / "report.json", console)
    output = console.export_text()
    assert "1.000 -> 0.000 (-1.000)" in output
    assert "first relevant rank" in output and "worse" in output


def test_cli_compare_and_its_errors(tmp_path: Path) -> None:
    write_reports(make_report(), tmp_path / "a")
    runner = CliRunner()
    report = str(tmp_path / "a" / "report.json")
    same = runner.invoke(cli(), ["eval", "--compare", report, report])
    assert same.exit_code == 0, same.output
    assert "No question changed" in same.output
    (tmp_path / "bad.json").write_text(json.dumps({"format": "other"}))
    bad = runner.invoke(cli(), ["eval", "--compare", report, str(tmp_path / "bad.json")])
    assert bad.exit_code == 1
    assert f"{tmp_path / 'bad.json'} is not a minutes eval report" in bad.output


def test_cli_rejects_malformed_question_file_before_indexing(tmp_path: Path) -> None:
    questions = tmp_path / "questions.jsonl"
    questions.write_text('{"id": "q1"}\n', encoding="utf-8")
    arguments = ["eval", str(questions), "--corpus", str(tmp_path), "--index", str(tmp_path / "ix")]
    result = CliRunner().invoke(cli(), arguments)
    assert result.exit_code == 1
    assert f"{questions}, line 1: missing field 'question'" in result.output
    assert not (tmp_path / "ix").exists()


def test_parse_configs() -> None:
    assert parse_configs(" dense, bm25 ,hybrid ") == ["dense", "bm25", "hybrid"]
    for bad in ("", " , ", "dense,dense"):
        with pytest.raises(EvalError, match="--configs"):
            parse_configs(bad)


def make_answers_report() -> dict:
    """A run with direct answers and a follow-up turn asked with and without history."""
    who = make_question("who", 1, type_="who", keywords=("Ann Smith",))
    followup = replace(
        make_question("turn-2", 1, type_="when", keywords=("2021",)), conversation="c", turn=2, followup=True
    )
    questions = [who, followup, make_question("unans", 0)]
    spans = {"who": (GOLD_A,), "turn-2": (GOLD_A,), "unans": ()}
    long_answer = "Made up | <b>bold</b> " + "word " * 100
    results = {
        "hybrid": [
            make_result(who, [HIT_A], cited=[1], answer="Cllr Ann Smith chaired. [1]", direct="Cllr Ann Smith"),
            make_result(followup, [HIT_A], cited=[1], answer="In 2021. [1]", direct="2021"),
            make_result(questions[2], [MISS], cited=[1], answer=long_answer),
        ]
    }
    standalone = {"hybrid": score_config([make_result(followup, [MISS], answer="Unclear.")], k=10)}
    scores = {"hybrid": score_config(results["hybrid"], k=10)}
    meta = META | {"configs": ["hybrid"], "history": "passed"}
    return build_report(meta, questions, spans, results, scores, standalone=standalone)


def test_report_json_holds_direct_answers_keyword_recall_by_type_and_followups() -> None:
    report = make_answers_report()
    hybrid = report["configs"]["hybrid"]
    assert hybrid["direct_answers"] == {"wanted": 2, "given": 2, "checkable": 2, "with_keyword": 2}
    assert hybrid["overall"]["direct_answer_rate"] == 1.0
    assert hybrid["keyword_recall_by_type"] == {
        "when": {"n": 1, "keyword_recall": 1.0},
        "who": {"n": 1, "keyword_recall": 1.0},
    }
    assert hybrid["followups"] == {
        "with_history": {"n": 1, "hit@5": 1.0, "citation_precision": 1.0, "keyword_recall": 1.0},
        "standalone": {"n": 1, "hit@5": 0.0, "citation_precision": None, "keyword_recall": 0.0},
    }
    turn = report["questions"][1]
    assert (turn["conversation"], turn["turn"], turn["followup"]) == ("c", 2, True)
    assert turn["results"]["hybrid"]["direct_answer"] == {"text": "2021", "citation": 1}
    assert turn["results"]["hybrid"]["standalone"] == {
        "hit@5": 0.0, "citation_precision": None, "keyword_recall": 0.0, "abstained": False
    }
    json.dumps(report, allow_nan=False)  # nothing a strict JSON reader would refuse


def test_markdown_shows_answers_followups_and_failing_questions() -> None:
    markdown = render_markdown(make_answers_report())
    assert "| hybrid | 2 | 2 | 1.000 | 2 | 2 | 1.000 |" in markdown
    assert "| who | 1 | 1.000 |" in markdown
    assert "History: each turn was asked with the earlier turns of its conversation as history." in markdown
    assert "| hybrid | 1 | 1.000 | 0.000 | 1.000 | – | 1.000 | 0.000 |" in markdown
    assert "| turn-2 | hybrid | question turn-2 | 1.000 / 0.000 | 1.000 / – | 1.000 / 0.000 |" in markdown
    assert "### hybrid: answered though unanswerable (1)" in markdown
    row = next(line for line in markdown.splitlines() if line.startswith("| unans | unanswerable |"))
    assert "answered instead of abstaining" in row and "(abstain: the minutes do not answer this)" in row
    assert "Made up \\| &lt;b&gt;bold&lt;/b&gt; word" in row and "<b>" not in row
    answer_cell = row.split(" | ")[4]
    assert answer_cell.endswith("…") and len(answer_cell) < 320


def test_cli_calibrate_rejects_a_set_it_cannot_split_before_indexing(tmp_path: Path) -> None:
    questions = tmp_path / "questions.jsonl"
    record = {"id": "q1", "question": "Who?", "type": "who", "answerable": True,
              "gold": [{"file": "a.txt", "quote": "Ann"}], "keywords": []}
    questions.write_text(json.dumps(record) + "\n", encoding="utf-8")
    arguments = ["eval", str(questions), "--corpus", str(tmp_path), "--index", str(tmp_path / "ix"), "--calibrate"]
    result = CliRunner().invoke(cli(), arguments)
    assert result.exit_code == 1
    assert "Calibration needs answerable and unanswerable questions in each half" in result.output
    assert not (tmp_path / "ix").exists()
