"""Reports of an evaluation run: report.json (everything), report.md, chart.png and the terminal table.

The JSON report is built first and every other output is rendered from it, so what
``--compare`` reads is exactly what the Markdown and the chart show.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from .calibration import Judged, Rates, WeightsCalibration, WeightsFold, settings_lines
from .failures import failures_by_figure
from .metrics import (
    FOLLOWUP_KEYS,
    SUMMARY_KEYS,
    ConfigScores,
    QuestionResult,
    direct_answer_counts,
    followup_figures,
    keyword_recall_by_type,
)
from .questions import Question
from .relevance import GoldSpan

REPORT_FORMAT = "minutes-eval-report/1"
RATE_KEYS: frozenset[str] = frozenset(SUMMARY_KEYS) - {"latency_p50_ms", "latency_p95_ms"}
WORST_QUESTIONS = 5
EXCERPT_CHARS = 200
ANSWER_CHARS = 300  # answers and expected answers in the failing-question tables
# What meta["history"] records, as the report explains it.
HISTORY_MODES: dict[str, str] = {
    "none": "no conversation turns in the question set",
    "passed": "each turn was asked with the earlier turns of its conversation as history",
    "off": "turns were asked on their own (--no-history)",
    "unsupported": "the engine does not take a history yet, so turns were asked on their own",
}


def metric_label(key: str, k: int) -> str:
    """The column heading of a summary figure."""
    labels = {
        "recall@k": f"recall@{k}",
        "mrr@10": "MRR@10",
        "ndcg@10": "nDCG@10",
        "citation_precision": "cit. precision",
        "good_citation_rate": "≥1 good cit.",
        "keyword_recall": "keyword recall",
        "direct_answer_rate": "direct ans.",
        "direct_answer_keyword_rate": "direct ans. kw",
        "answered_rate": "answered",
        "abstention_rate": "abstained (unans.)",
        "latency_p50_ms": "p50 ms",
        "latency_p95_ms": "p95 ms",
    }
    return labels.get(key, key)


def format_figure(key: str, value: float | None) -> str:
    """A figure as shown in tables: rates to 3 decimals, latencies in whole ms, '–' when not measured."""
    if value is None:
        return "–"
    return f"{value:.3f}" if key in RATE_KEYS else f"{value:.0f}"


def rates_record(rates: Rates) -> dict[str, float | int | None]:
    """A threshold's rates as JSON (a rate is null when the group has no question of its kind)."""
    return {
        "threshold": rates.threshold,
        "answerable": rates.answerable,
        "unanswerable": rates.unanswerable,
        "answered": rates.answered,
        "abstained": rates.abstained,
        "answered_rate": rates.answered_rate,
        "abstained_rate": rates.abstained_rate,
        "objective": rates.objective,
    }


def judged_record(judged: Judged) -> dict[str, Any]:
    """A setting's rates overall and per question file, as JSON."""
    return {
        "overall": rates_record(judged.overall),
        "by_file": {group: rates_record(rates) for group, rates in judged.by_group.items()},
    }


def fold_record(fold: WeightsFold) -> dict[str, Any]:
    """One calibration fold as JSON."""
    return {
        "fitted_on": fold.fitted_on,
        "held_out": fold.held_out,
        "weights": fold.weights,
        "threshold": fold.threshold,
        "best_interval": list(fold.best_interval),
        "fitted": rates_record(fold.fitted),
        "held_out_rates": judged_record(fold.held_out_rates),
        "current_rates": judged_record(fold.current_rates),
    }


def calibration_record(calibration: WeightsCalibration) -> dict[str, Any]:
    """The cross-validated abstention calibration of one configuration, as JSON."""
    recommended = calibration.recommended
    return {
        "features": list(calibration.features),
        "regularisation_c": calibration.regularisation_c,
        "current": {"weights": calibration.current_weights, "threshold": calibration.current_threshold},
        "folds": [fold_record(fold) for fold in calibration.folds],
        # Every question's features, so that the fits can be redone offline (another C, other features).
        "samples": [
            {
                "id": sample.question_id,
                "file": sample.group,
                "answerable": sample.answerable,
                "features": None if sample.features is None else dict(sample.features),
            }
            for sample in calibration.samples
        ],
        "recommended": {
            "weights": recommended.weights,
            "threshold": recommended.threshold,
            "threshold_rule": "mean of the two folds' fitted thresholds",
            "fold_thresholds": list(recommended.fold_thresholds),
            "settings": settings_lines(recommended.weights, recommended.threshold),
            "in_sample": judged_record(recommended.in_sample),
            "current_in_sample": judged_record(recommended.current_in_sample),
        },
    }


def build_report(
    meta: Mapping[str, Any],
    questions: Sequence[Question],
    spans: Mapping[str, Sequence[GoldSpan]],
    results: Mapping[str, Sequence[QuestionResult]],
    scores: Mapping[str, ConfigScores],
    standalone: Mapping[str, ConfigScores] | None = None,
    calibration: Mapping[str, WeightsCalibration] | None = None,
) -> dict[str, Any]:
    """The whole run as one JSON-ready dict: summaries, and every question's passages and answers.

    ``spans`` are the gold spans by question id; ``results`` and ``scores`` are keyed by
    configuration and list questions in the order of ``questions``. ``standalone`` holds,
    when the main run passed conversation history, the scores of the follow-up turns
    asked again without it; ``calibration`` the cross-validated abstention weights and thresholds.
    """
    followup_ids = {question.id for question in questions if question.followup}
    standalone_scores = {
        config: {score.question_id: score for score in config_scores.questions}
        for config, config_scores in (standalone or {}).items()
    }
    per_question: list[dict[str, Any]] = []
    for position, question in enumerate(questions):
        entry: dict[str, Any] = {
            "id": question.id,
            "question": question.question,
            "type": question.type,
            "answerable": question.answerable,
            "keywords": list(question.keywords),
            "reference_answer": question.answer,
            "conversation": question.conversation,
            "turn": question.turn,
            "followup": question.followup,
            "gold": [
                {
                    "file": gold.file,
                    "quote": gold.quote,
                    "spans": [[span.start, span.end] for span in spans[question.id] if span.gold_index == index],
                }
                for index, gold in enumerate(question.gold)
            ],
            "results": {},
        }
        for config, config_results in results.items():
            result, score = config_results[position], scores[config].questions[position]
            response = result.response
            entry["results"][config] = {
                "latency_ms": round(result.latency_ms, 2),
                "abstained": response.abstained,
                "answer": response.answer,
                "direct_answer": response.direct_answer.model_dump() if response.direct_answer else None,
                "citations": [
                    {"n": citation.n, "passage_id": citation.passage_id, "quote": citation.quote, "good": good}
                    for citation, good in zip(response.citations, score.citation_good, strict=True)
                ],
                "passages": [
                    {
                        "rank": passage.rank,
                        "id": passage.id,
                        "file": passage.source.file,
                        "start": passage.source.start,
                        "end": passage.source.end,
                        "score": passage.score,
                        "gold": list(gold),
                        "text": passage.text,
                    }
                    for passage, gold in zip(response.passages, score.passage_gold, strict=True)
                ],
                "first_relevant_rank": score.first_relevant_rank,
                "metrics": score.retrieval
                | {
                    "citation_precision": score.citation_precision,
                    "keyword_recall": score.keyword_recall,
                    "keywords_missing": list(score.keywords_missing),
                    "direct_answer_given": score.direct_answer_given,
                    "direct_answer_has_keyword": score.direct_answer_has_keyword,
                },
            }
            alone = standalone_scores.get(config, {}).get(question.id)
            if alone is not None:
                entry["results"][config]["standalone"] = {
                    "hit@5": alone.retrieval.get("hit@5"),
                    "citation_precision": alone.citation_precision,
                    "keyword_recall": alone.keyword_recall,
                    "abstained": alone.abstained,
                }
        per_question.append(entry)
    return {
        "format": REPORT_FORMAT,
        "meta": {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            **meta,
            "questions": len(questions),
            "types": dict(sorted(Counter(question.type for question in questions).items())),
        },
        "configs": {
            config: _config_entry(
                config_scores,
                standalone[config] if standalone is not None else None,
                calibration.get(config) if calibration is not None else None,
                followup_ids,
            )
            for config, config_scores in scores.items()
        },
        "questions": per_question,
    }


def _config_entry(
    scores: ConfigScores,
    standalone: ConfigScores | None,
    calibration: WeightsCalibration | None,
    followup_ids: set[str],
) -> dict[str, Any]:
    """One configuration's summaries. Follow-up figures are given only when the set has follow-up turns."""
    entry: dict[str, Any] = {
        "overall": scores.overall,
        "by_type": scores.by_type,
        "direct_answers": direct_answer_counts(scores.questions),
        "keyword_recall_by_type": keyword_recall_by_type(scores.questions),
    }
    if followup_ids:
        # Without a history run, the main run's follow-ups were themselves asked standalone.
        entry["followups"] = {
            "with_history": followup_figures(scores.questions, followup_ids) if standalone is not None else None,
            "standalone": followup_figures((standalone or scores).questions, followup_ids),
        }
    if calibration is not None:
        entry["calibration"] = calibration_record(calibration)
    return entry


def load_report(path: Path) -> dict[str, Any]:
    """Read a report.json written by :func:`write_reports`, checking it is one."""
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"Report {path} does not exist; run `minutes eval --out DIR` first.") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON ({error.msg}, line {error.lineno}).") from None
    if not isinstance(report, dict) or report.get("format") != REPORT_FORMAT:
        raise ValueError(f"{path} is not a minutes eval report (expected format '{REPORT_FORMAT}').")
    return report


def summary_table(report: Mapping[str, Any], width: int | None = None) -> Table:
    """The terminal summary: one row per configuration, one column per figure.

    Fourteen figures do not fit a narrow terminal, where rich would cut every heading
    to one letter; when the table is wider than ``width`` it is turned on its side
    (one row per figure, one column per configuration) so it stays readable.
    """
    k = report["meta"]["k"]
    title = f"minutes eval: {report['meta']['questions']} questions, k={k}"
    configs = report["configs"]
    table = Table(title=title)
    table.add_column("config", style="bold", no_wrap=True)
    for key in SUMMARY_KEYS:
        table.add_column(metric_label(key, k), justify="right", no_wrap=True)
    for config, figures in configs.items():
        table.add_row(Text(config), *(format_figure(key, figures["overall"][key]) for key in SUMMARY_KEYS))
    # Each column takes its heading or a 6-character figure, plus padding and a border.
    needed = sum(max(len(metric_label(key, k)), 6) + 3 for key in SUMMARY_KEYS)
    needed += max(map(len, ["config", *configs])) + 4
    if width is None or needed <= width:
        return table
    sideways = Table(title=title)
    sideways.add_column("figure", style="bold", no_wrap=True)
    for config in configs:
        sideways.add_column(Text(config), justify="right", no_wrap=True)
    for key in SUMMARY_KEYS:
        sideways.add_row(metric_label(key, k), *(format_figure(key, configs[c]["overall"][key]) for c in configs))
    return sideways


def markdown_escape(text: str) -> str:
    """Minutes text made inert in Markdown: one line, markup characters escaped, HTML defused.

    Text from minutes is untrusted, so nothing in it may become a link, an HTML tag or a
    table cell boundary in the report.
    """
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]|~])", r"\\\1", text)


def _excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _worst(report: Mapping[str, Any], config: str) -> list[dict[str, Any]]:
    """Answerable questions ranked from worst retrieval: no relevant passage first, then late, then low nDCG."""
    answerable = [entry for entry in report["questions"] if entry["answerable"]]

    def badness(entry: dict[str, Any]) -> tuple[float, float, float]:
        result = entry["results"][config]
        rank = result["first_relevant_rank"]
        return (
            -(rank if rank is not None else float("inf")),
            result["metrics"]["ndcg@10"],
            result["metrics"]["recall@k"],
        )

    return sorted(answerable, key=badness)[:WORST_QUESTIONS]


def render_markdown(report: Mapping[str, Any]) -> str:
    """report.md: overall and per-type tables for each configuration, then the worst questions."""
    meta, k = report["meta"], report["meta"]["k"]
    labels = [metric_label(key, k) for key in SUMMARY_KEYS]
    lines = [
        "# minutes eval report",
        "",
        f"- created: {meta['created']}",
        f"- questions: {meta['questions']} from {', '.join(markdown_escape(str(p)) for p in meta['question_files'])}",
        f"- question types: {', '.join(f'{name} {count}' for name, count in meta['types'].items())}",
        f"- corpus: {', '.join(markdown_escape(str(p)) for p in meta['corpus']) or '(the service’s index)'}",
        f"- answered by: {markdown_escape(meta['api']) if meta.get('api') else 'the engine in process'}; k = {k}",
        "",
        "Retrieval figures are means over answerable questions; a passage is relevant when its span "
        "overlaps a gold quote's span. Citation precision is over answerable questions whose answer "
        "cites anything; abstained (unans.) is over unanswerable questions.",
        "",
        "## Configurations",
        "",
    ]
    lines += _markdown_table(
        ["config", *labels],
        [
            [config, *(format_figure(key, figures["overall"][key]) for key in SUMMARY_KEYS)]
            for config, figures in report["configs"].items()
        ],
    )
    for config, figures in report["configs"].items():
        lines += ["", f"## {config}: by question type", ""]
        lines += _markdown_table(
            ["type", "n", *labels],
            [
                [question_type, str(meta["types"][question_type])]
                + [format_figure(key, type_figures[key]) for key in SUMMARY_KEYS]
                for question_type, type_figures in figures["by_type"].items()
            ],
        )
    lines += _answers_section(report)
    lines += _followups_section(report)
    lines += _calibration_section(report)
    for config in report["configs"]:
        lines += ["", f"## {config}: worst questions", ""]
        for entry in _worst(report, config):
            lines += _worst_entry(entry, config)
        missed = [
            entry["id"]
            for entry in report["questions"]
            if not entry["answerable"] and not entry["results"][config]["abstained"]
        ]
        if missed:
            lines += ["", f"Unanswerable questions answered instead of abstaining: {', '.join(missed)}"]
    for config in report["configs"]:
        lines += _failures_section(report, config)
    return "\n".join(lines) + "\n"


def _answers_section(report: Mapping[str, Any]) -> list[str]:
    """The direct-answer rates with their counts, and keyword recall per question type side by side."""
    configs = report["configs"]
    lines = [
        "",
        "## Answers",
        "",
        "Direct answers are wanted for answerable questions of the short-answer types (factoid, who, when, "
        "how-much, how-many, which, yes-no); the keyword rate is over those given one that list keywords, "
        "and counts a direct answer holding at least one keyword.",
        "",
    ]
    rows = []
    for config, figures in configs.items():
        counts, overall = figures["direct_answers"], figures["overall"]
        rows.append(
            [
                config,
                str(counts["wanted"]),
                str(counts["given"]),
                format_figure("direct_answer_rate", overall["direct_answer_rate"]),
                str(counts["checkable"]),
                str(counts["with_keyword"]),
                format_figure("direct_answer_keyword_rate", overall["direct_answer_keyword_rate"]),
            ]
        )
    lines += _markdown_table(
        ["config", "wanted", "given", "direct-answer rate", "checkable", "with a keyword", "keyword rate"], rows
    )
    lines += ["", "Keyword recall by question type (answerable questions that list keywords):", ""]
    types = sorted({name for figures in configs.values() for name in figures["keyword_recall_by_type"]})
    rows = []
    for question_type in types:
        by_config = [figures["keyword_recall_by_type"].get(question_type, {}) for figures in configs.values()]
        rows.append(
            [question_type, str(by_config[0].get("n", 0))]
            + [format_figure("keyword_recall", figures.get("keyword_recall")) for figures in by_config]
        )
    lines += _markdown_table(["type", "n", *configs], rows)
    return lines


def _followups_section(report: Mapping[str, Any]) -> list[str]:
    """Follow-up turns' figures with and without history, and the turns whose figures differ."""
    configs = report["configs"]
    if not any("followups" in figures for figures in configs.values()):
        return []
    k = report["meta"]["k"]
    lines = ["", "## Follow-up turns", "", f"History: {HISTORY_MODES[report['meta'].get('history', 'none')]}.", ""]
    header = ["config", "n"]
    for key in FOLLOWUP_KEYS:
        header += [f"{metric_label(key, k)} (history)", f"{metric_label(key, k)} (standalone)"]
    rows = []
    for config, figures in configs.items():
        with_history, standalone = figures["followups"]["with_history"], figures["followups"]["standalone"]
        row = [config, str(standalone["n"])]
        for key in FOLLOWUP_KEYS:
            shown_with_history = format_figure(key, with_history[key]) if with_history else "–"
            row += [shown_with_history, format_figure(key, standalone[key])]
        rows.append(row)
    lines += _markdown_table(header, rows)
    changed = []
    for entry in report["questions"]:
        for config, result in entry["results"].items():
            alone = result.get("standalone")
            if alone is None:
                continue
            current = {key: result["metrics"].get(key) for key in FOLLOWUP_KEYS}
            if any(current[key] != alone[key] for key in FOLLOWUP_KEYS):
                cells = [
                    f"{format_figure(key, current[key])} / {format_figure(key, alone[key])}"
                    for key in FOLLOWUP_KEYS
                ]
                changed.append([markdown_escape(entry["id"]), config, markdown_escape(entry["question"]), *cells])
    if changed:
        lines += ["", "Follow-up turns whose figures differ (with history / standalone):", ""]
        header = ["id", "config", "question", *(metric_label(key, k) for key in FOLLOWUP_KEYS)]
        lines += _markdown_table(header, changed)
    return lines


CALIBRATION_COLUMNS = ("questions", "setting", "answered", "abstained", "sum")
CALIBRATION_LEGEND = (
    "answered: share of the answerable questions answered; abstained: share of the unanswerable questions "
    "abstained on; sum: the two added, which the fitted threshold maximises on its own half."
)
CALIBRATION_METHOD = (
    "Questions are split in two halves by a SHA-256 hash of their id. On one half the evidence weights are "
    "fitted (L2-regularised logistic regression, C={c:g}, intercept not penalised) and then the threshold "
    "maximising answered (answerable) + abstained (unanswerable) on that half's probabilities; both are judged "
    "on the other half, beside the current settings. The current weights are in-sample wherever they were "
    "fitted on these same questions (the shipped defaults were), which flatters them."
)


def _calibrations(report: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {config: figures["calibration"] for config, figures in report["configs"].items() if "calibration" in figures}


def _rate_cell(rate: float | None, count: int) -> str:
    return "–" if rate is None else f"{rate:.3f} of {count}"


def _rates_cells(rates: Mapping[str, Any]) -> list[str]:
    objective = rates["objective"]
    return [
        _rate_cell(rates["answered_rate"], rates["answerable"]),
        _rate_cell(rates["abstained_rate"], rates["unanswerable"]),
        "–" if objective is None else f"{objective:.3f}",
    ]


def _file_labels(files: Sequence[str]) -> dict[str, str]:
    """Question files as shown in tables: their names, or their paths where two names are the same."""
    names = [Path(file).name for file in files]
    return {file: name if names.count(name) == 1 else file for file, name in zip(files, names, strict=True)}


def calibration_blocks(calibration: Mapping[str, Any]) -> list[tuple[str, list[list[str]]]]:
    """(title, rows) for each set the settings are judged on: each held-out half, then every question
    (in-sample); the title gives the thresholds. Rows are as :data:`CALIBRATION_COLUMNS`: overall, then
    per question file, the fitted (or recommended) setting beside the current one."""
    recommended, current = calibration["recommended"], calibration["current"]["threshold"]
    blocks = [
        (
            f"judged on half {fold['held_out']}, fitted on half {fold['fitted_on']} "
            f"(threshold {fold['threshold']:.4f}; current {current:.4f})",
            [(fold["held_out_rates"], "fitted"), (fold["current_rates"], "current")],
        )
        for fold in calibration["folds"]
    ]
    in_sample = [(recommended["in_sample"], "recommended"), (recommended["current_in_sample"], "current")]
    title = f"all questions, in-sample (threshold {recommended['threshold']:.4f}; current {current:.4f})"
    blocks.append((title, in_sample))
    labels = _file_labels(list(recommended["in_sample"]["by_file"]))
    rendered = []
    for title, settings in blocks:
        rows = []
        for group in ["all", *settings[0][0]["by_file"]]:
            for judged, setting in settings:
                rates = judged["overall"] if group == "all" else judged["by_file"][group]
                rows.append([labels.get(group, group), setting, *_rates_cells(rates)])
        rendered.append((title, rows))
    return rendered


def weights_rows(calibration: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows comparing the weights and thresholds: each fold's, the recommended and the current."""
    folds, recommended, current = calibration["folds"], calibration["recommended"], calibration["current"]
    header = ["", *(f"fitted on half {fold['fitted_on']}" for fold in folds), "recommended (all)", "current"]
    names = [*calibration["features"], "intercept"]
    settings = [*(fold["weights"] for fold in folds), recommended["weights"], current["weights"]]
    rows = [[name, *(f"{weights.get(name, 0.0):.3f}" for weights in settings)] for name in names]
    thresholds = [*(fold["threshold"] for fold in folds), recommended["threshold"], current["threshold"]]
    rows.append(["threshold", *(f"{threshold:.3f}" for threshold in thresholds)])
    return header, rows


def recommendation_text(config: str, calibration: Mapping[str, Any]) -> str:
    """What the ready-to-paste settings are and how they were chosen."""
    recommended = calibration["recommended"]
    first, second = recommended["fold_thresholds"]
    questions = recommended["in_sample"]["overall"]
    return (
        f"Recommended for {config}: weights fitted on all {questions['answerable'] + questions['unanswerable']} "
        f"questions (C={calibration['regularisation_c']:g}); threshold = mean of the two folds' fitted thresholds "
        f"({first:.4f} and {second:.4f}), rounded to {recommended['threshold']:.3f}. Paste into the shell or .env:"
    )


def _calibration_section(report: Mapping[str, Any]) -> list[str]:
    """The cross-validated abstention weights and thresholds, when the run was asked to calibrate."""
    calibrations = _calibrations(report)
    if not calibrations:
        return []
    method = CALIBRATION_METHOD.format(c=next(iter(calibrations.values()))["regularisation_c"])
    lines = ["", "## Abstention weights and threshold, cross-validated", "", method, "", CALIBRATION_LEGEND]
    for config, calibration in calibrations.items():
        lines += ["", f"### {config}"]
        for title, rows in calibration_blocks(calibration):
            escaped = [[markdown_escape(row[0]), *row[1:]] for row in rows]
            lines += ["", f"{title[0].upper()}{title[1:]}:", "", *_markdown_table(list(CALIBRATION_COLUMNS), escaped)]
        lines += ["", "Weights and thresholds:", ""]
        lines += _markdown_table(*weights_rows(calibration))
        lines += ["", recommendation_text(config, calibration), "", "```sh"]
        lines += [*calibration["recommended"]["settings"], "```"]
    return lines


def calibration_output(report: Mapping[str, Any]) -> list[Table | Text]:
    """The terminal's calibration output: per configuration, the held-out rates, the weights, and the
    ready-to-paste settings."""
    output: list[Table | Text] = []
    for config, calibration in _calibrations(report).items():
        rates_tables = []
        for title, rows in calibration_blocks(calibration):
            # Simple boxes and unwrapped figures: the tables fit an 80-column terminal whole.
            table = Table(title=f"{config}: {title}", box=box.SIMPLE_HEAD, pad_edge=False)
            table.add_column(CALIBRATION_COLUMNS[0], no_wrap=True)
            table.add_column(CALIBRATION_COLUMNS[1], no_wrap=True)
            for column in CALIBRATION_COLUMNS[2:]:
                table.add_column(column, justify="right", no_wrap=True)
            for position, row in enumerate(rows):
                if position and position % 2 == 0:
                    table.add_section()
                table.add_row(*row)
            rates_tables.append(table)
        header, rows = weights_rows(calibration)
        weights_table = Table(title=f"{config}: evidence weights and thresholds", box=box.SIMPLE_HEAD)
        weights_table.add_column(header[0], no_wrap=True)
        for column in header[1:]:
            weights_table.add_column(column, justify="right")
        for row in rows:
            weights_table.add_row(*row)
        output += [
            Text(CALIBRATION_METHOD.format(c=calibration["regularisation_c"])),
            Text(CALIBRATION_LEGEND),
            *rates_tables,
            weights_table,
            Text(recommendation_text(config, calibration)),
            Text("\n".join(calibration["recommended"]["settings"])),
        ]
    return output


def _failures_section(report: Mapping[str, Any], config: str) -> list[str]:
    """The questions that failed each figure under ``config``, grouped by figure."""
    grouped = failures_by_figure(report, config)
    counts = " · ".join(f"{figure}: {len(failures)}" for figure, failures in grouped.items())
    lines = ["", f"## {config}: failing questions", "", f"Counts: {counts}."]
    for figure, failures in grouped.items():
        if not failures:
            continue
        lines += ["", f"### {config}: {figure} ({len(failures)})", ""]
        lines += _markdown_table(
            ["id", "type", "question", "what failed", "answer given", "expected"],
            [
                [
                    markdown_escape(failure.question_id),
                    failure.type,
                    markdown_escape(failure.question),
                    markdown_escape(failure.reason),
                    markdown_escape(_excerpt(failure.answer, ANSWER_CHARS)),
                    markdown_escape(_excerpt(failure.expected, ANSWER_CHARS)),
                ]
                for failure in failures
            ],
        )
    return lines


def _worst_entry(entry: Mapping[str, Any], config: str) -> list[str]:
    result = entry["results"][config]
    rank = result["first_relevant_rank"]
    metrics = result["metrics"]
    lines = [
        f"### {entry['id']} ({entry['type']}): {markdown_escape(entry['question'])}",
        "",
        f"First relevant passage: {rank if rank is not None else 'none retrieved'}; "
        f"nDCG@10 {metrics['ndcg@10']:.3f}; recall {metrics['recall@k']:.3f}; "
        f"{'abstained' if result['abstained'] else 'answered'}.",
        "",
        "Gold:",
    ]
    lines += [f"- `{gold['file']}`: {markdown_escape(_excerpt(gold['quote']))}" for gold in entry["gold"]]
    lines += ["", "Retrieved (top 3):"]
    for passage in result["passages"][:3]:
        mark = "relevant" if passage["gold"] else "not relevant"
        lines.append(
            f"{passage['rank']}. `{passage['file']}` [{passage['start']}:{passage['end']}] ({mark}): "
            f"{markdown_escape(_excerpt(passage['text']))}"
        )
    if not result["passages"]:
        lines.append("(nothing)")
    lines += ["", f"Answer: {markdown_escape(_excerpt(result['answer']))}", ""]
    return lines


def render_chart(report: Mapping[str, Any], path: Path) -> None:
    """chart.png: quality figures per configuration as grouped bars, and latency beside them."""
    import matplotlib

    matplotlib.use("Agg")  # no display here; must precede pyplot
    import matplotlib.pyplot as plt
    import numpy as np

    k = report["meta"]["k"]
    configs = list(report["configs"])
    quality_keys = ["hit@1", "hit@5", "recall@k", "mrr@10", "ndcg@10", "citation_precision", "keyword_recall"]
    figure, (quality_axis, latency_axis) = plt.subplots(
        1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [3, 1]}
    )
    positions = np.arange(len(quality_keys))
    width = 0.8 / max(len(configs), 1)
    for offset, config in enumerate(configs):
        overall = report["configs"][config]["overall"]
        values = [overall[key] or 0.0 for key in quality_keys]
        quality_axis.bar(positions + offset * width, values, width, label=config)
    quality_axis.set_xticks(positions + width * (len(configs) - 1) / 2)
    quality_axis.set_xticklabels([metric_label(key, k) for key in quality_keys], rotation=20)
    quality_axis.set_ylim(0, 1.05)
    quality_axis.set_title("Quality (answerable questions)")
    quality_axis.legend()
    latency_positions = np.arange(len(configs))
    for offset, key in enumerate(("latency_p50_ms", "latency_p95_ms")):
        values = [report["configs"][config]["overall"][key] or 0.0 for config in configs]
        latency_axis.bar(latency_positions + offset * 0.4, values, 0.4, label=metric_label(key, k))
    latency_axis.set_xticks(latency_positions + 0.2)
    latency_axis.set_xticklabels(configs)
    latency_axis.set_title("Latency per question (ms)")
    latency_axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def write_reports(report: Mapping[str, Any], out_dir: Path) -> dict[str, Path]:
    """Write report.json, report.md and chart.png into ``out_dir`` and return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "report.json", "markdown": out_dir / "report.md", "chart": out_dir / "chart.png"}
    paths["json"].write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["markdown"].write_text(render_markdown(report), encoding="utf-8")
    render_chart(report, paths["chart"])
    return paths
