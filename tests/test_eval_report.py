"""Reports and comparisons rendered from a hand-made run, and the CLI's handling of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from eval.cli import eval_command, parse_configs, run_compare
from eval.compare import compare_reports
from eval.metrics import score_config
from eval.runner import EvalError
from eval.report import build_report, load_report, markdown_escape, render_markdown, summary_table, write_reports
from test_eval_metrics import GOLD_A, HIT_A, MISS, make_question, make_result

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
