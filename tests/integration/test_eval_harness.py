"""The harness end to end: the real engine on the sample corpus."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

from rich.console import Console

from minutes_qa.eval.cli import SAMPLE_CORPUS, SAMPLE_QUESTIONS, run_compare, run_eval
from minutes_qa.rag.engine import Engine


def test_sample_eval_in_process_end_to_end(tmp_path: Path) -> None:
    console = Console(record=True, width=200)
    index_dir = tmp_path / "index"
    report = run_eval(
        question_files=[SAMPLE_QUESTIONS],
        corpus=[SAMPLE_CORPUS],
        configs=["dense", "bm25", "hybrid"],
        k=10,
        out_dir=tmp_path / "first",
        index_dir=index_dir,
        console=console,
    )
    for name in ("report.json", "report.md", "chart.png"):
        assert (tmp_path / "first" / name).stat().st_size > 0
    assert report["meta"]["documents"] == 5
    assert json.loads((tmp_path / "first" / "report.json").read_text())["configs"] == report["configs"]

    texts = {path.name: path.read_text(encoding="utf-8") for path in SAMPLE_CORPUS.iterdir()}
    for entry in report["questions"]:
        for gold in entry["gold"]:
            assert [texts[gold["file"]][start:end] for start, end in gold["spans"]] == [gold["quote"]]
        for config, result in entry["results"].items():
            assert 0 < len(result["passages"]) <= 10, (entry["id"], config)
            for passage in result["passages"]:
                # The engine's spans are what relevance is judged on: they must address the file's text.
                assert texts[passage["file"]][passage["start"] : passage["end"]] == passage["text"]

    for config in ("dense", "bm25", "hybrid"):
        overall = report["configs"][config]["overall"]
        assert set(overall) >= {"hit@1", "recall@k", "mrr@10", "ndcg@10", "citation_precision", "latency_p95_ms"}
        assert overall["hit@10"] > 0, f"{config} retrieved nothing relevant: are spans and gold out of step?"
        assert report["configs"][config]["by_type"]["unanswerable"]["hit@1"] is None
    # The fused pipeline should find the evidence of nearly every sample question in its top 10.
    assert report["configs"]["hybrid"]["overall"]["hit@10"] >= 0.8
    assert "hit@1" in console.export_text()

    # A second run over the same corpus reuses the index instead of rebuilding it.
    again = run_eval(
        question_files=[SAMPLE_QUESTIONS],
        corpus=[SAMPLE_CORPUS],
        configs=["bm25"],
        k=10,
        out_dir=tmp_path / "second",
        index_dir=index_dir,
        console=console,
    )
    assert again["meta"]["index_generation"] == report["meta"]["index_generation"]
    comparison = run_compare(tmp_path / "first" / "report.json", tmp_path / "second" / "report.json", console)
    assert comparison.configs == ["bm25"]
    assert comparison.metric_deltas["bm25"]["hit@10"][0] == comparison.metric_deltas["bm25"]["hit@10"][1]

    # A conversation of two sample questions, the second a follow-up: asked with history if the
    # engine takes one, else on their own, and the report says which.
    first, second = (json.loads(line) for line in SAMPLE_QUESTIONS.read_text(encoding="utf-8").splitlines()[:2])
    conversation = {"id": "conv", "turns": [first, second | {"followup": True}]}
    (tmp_path / "conversation.jsonl").write_text(json.dumps(conversation) + "\n", encoding="utf-8")
    talk = run_eval(
        question_files=[tmp_path / "conversation.jsonl"],
        corpus=[SAMPLE_CORPUS],
        configs=["bm25"],
        k=10,
        out_dir=tmp_path / "conversation",
        index_dir=index_dir,
        console=console,
    )
    takes_history = "history" in inspect.signature(Engine.ask).parameters
    assert talk["meta"]["history"] == ("passed" if takes_history else "unsupported")
    followups = talk["configs"]["bm25"]["followups"]
    assert (followups["with_history"] is not None) == takes_history and followups["standalone"]["n"] == 1
    assert "## Follow-up turns" in (tmp_path / "conversation" / "report.md").read_text(encoding="utf-8")
