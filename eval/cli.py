"""``minutes eval``: the command-line face of the harness.

``eval_command`` carries the typer annotations and is mounted by ``minutes/cli.py`` with
``app.command("eval")(eval_command)``; ``run_eval`` and ``run_compare`` do the work and
can be called directly (tests, notebooks).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from minutes_qa.index.errors import WritePathError
from minutes_qa.settings import Settings, get_settings

from .calibration import EvidenceSample, FeatureSample, WeightsCalibration, calibrate_weights, split_halves
from .compare import Comparison, compare_reports, render_comparison
from .metrics import ConfigScores, QuestionResult, score_config
from .questions import Question, QuestionFileError, load_questions
from .relevance import GoldQuoteNotFound
from .report import build_report, calibration_output, load_report, summary_table, write_reports
from .runner import (
    Backend,
    EvalError,
    HttpBackend,
    InProcessBackend,
    build_index,
    locate_gold,
    run_questions,
)

SAMPLE_QUESTIONS = Path(__file__).with_name("sample_questions.jsonl")
SAMPLE_CORPUS = Path(__file__).resolve().parents[1] / "sample" / "corpus"
DEFAULT_INDEX_DIR = Path("var/eval-index")
DEFAULT_CONFIGS = "dense,bm25,hybrid"


def parse_configs(configs: str) -> list[str]:
    """``"dense, bm25,hybrid"`` -> ``["dense", "bm25", "hybrid"]``, rejecting empty and repeated names."""
    names = [name.strip() for name in configs.split(",") if name.strip()]
    if not names:
        raise EvalError("--configs is empty: give comma-separated retrievers, e.g. dense,bm25,hybrid.")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise EvalError(f"--configs names {', '.join(repeated)} more than once.")
    return names


def run_eval(
    question_files: Sequence[Path],
    corpus: Sequence[Path],
    configs: Sequence[str],
    k: int,
    out_dir: Path,
    index_dir: Path | None = None,
    api: str | None = None,
    settings: Settings | None = None,
    console: Console | None = None,
    no_history: bool = False,
    calibrate: bool = False,
) -> dict[str, Any]:
    """Evaluate ``configs`` on the questions and write report.json, report.md and chart.png to ``out_dir``.

    In process (no ``api``), the index at ``index_dir`` is first brought up to date with
    exactly the ``corpus`` folders. With ``api``, the running service's index is used and
    ``corpus``/``index_dir`` must be empty. Turns of a conversation are asked with the
    earlier turns as history when the read path takes it (not with ``no_history``), and
    follow-up turns are then asked again on their own for comparison. ``calibrate`` (in
    process only) also cross-validates the abstention weights and threshold on the
    questions' evidence features and recommends settings. Returns the report dict.
    """
    settings = settings or get_settings()
    console = console or Console()
    questions = load_questions(question_files)
    if api is not None and (corpus or index_dir is not None):
        raise EvalError("--corpus and --index are for in-process runs; with --api the service's own index is used.")
    if calibrate:
        if api is not None:
            raise EvalError("--calibrate reads the engine's evidence features, which the service does not serve: "
                            "drop --api and give --corpus.")
        # Checked before indexing and asking, so a set that cannot be split fails in seconds.
        split_halves([EvidenceSample(question.id, None, question.answerable) for question in questions])
    meta: dict[str, Any] = {
        "question_files": [str(path) for path in question_files],
        "corpus": [str(folder) for folder in corpus],
        "api": api,
        "configs": list(configs),
        "k": k,
    }
    backend: Backend
    if api is None:
        index_dir = index_dir or DEFAULT_INDEX_DIR
        settings = settings.replace(index_dir=index_dir)
        folders = ", ".join(map(str, corpus))
        console.print(f"Indexing {folders} into {index_dir} (unchanged files are reused)", markup=False)
        ingest_report = build_index(corpus, index_dir, settings)
        for file, reason in ingest_report.failed:
            console.print(f"[yellow]Not indexed: {escape(file)}: {escape(reason)}[/yellow]", soft_wrap=True)
        meta |= {
            "index": str(index_dir),
            "model": settings.embedding.model,
            "embed_backend": settings.embedding.embed_backend,
            "index_generation": ingest_report.generation,
            "documents": ingest_report.documents,
            "chunks": ingest_report.chunks,
        }
        backend = InProcessBackend.open(index_dir, settings)
    else:
        backend = HttpBackend(api, settings.ui.api_timeout_seconds)
    try:
        spans = locate_gold(questions, backend)
        meta["history"] = history_mode(questions, backend, no_history)
        with_history = meta["history"] == "passed"
        if calibrate:
            read_features = features_reader(backend)
            read_features(questions[0].question, k, configs[0])  # fails now, not after the run, if unsupported
        followups = [question for question in questions if question.followup] if with_history else []
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        ) as progress:
            task = progress.add_task("asking", total=(len(questions) + len(followups)) * len(configs))

            def advance(config: str, result: QuestionResult) -> None:
                progress.update(task, advance=1, description=f"{config}: {result.question.id}")

            results = run_questions(backend, questions, spans, configs, k, on_result=advance, use_history=with_history)
            standalone_results = (
                run_questions(backend, followups, spans, configs, k, on_result=advance, use_history=False)
                if followups
                else None
            )
        calibration: dict[str, WeightsCalibration] | None = None
        if calibrate:
            calibration = {
                config: calibrate_weights(
                    collect_features(read_features, config_results, k, config),
                    settings.answer.evidence_weights,
                    settings.answer.abstain_threshold,
                )
                for config, config_results in results.items()
            }
    finally:
        backend.close()
    scores = {config: score_config(config_results, k) for config, config_results in results.items()}
    standalone: dict[str, ConfigScores] | None = None
    if standalone_results is not None:
        standalone = {config: score_config(config_results, k) for config, config_results in standalone_results.items()}
    report = build_report(meta, questions, spans, results, scores, standalone=standalone, calibration=calibration)
    paths = write_reports(report, out_dir)
    console.print(summary_table(report, width=console.width))
    for part in calibration_output(report):
        console.print(part, soft_wrap=True)  # soft_wrap: the settings lines must stay whole to be pasted
    console.print(f"Wrote {paths['json']}, {paths['markdown']} and {paths['chart']}", markup=False, soft_wrap=True)
    return report


FeaturesReader = Callable[[str, int, str], Mapping[str, float] | None]


def features_reader(backend: Backend) -> FeaturesReader:
    """``read(question, k, retriever)``: the evidence features of a question (``EvidenceFeatures.vector()``),
    None when nothing is retrieved. Raises :class:`EvalError` unless ``backend`` is the engine in process."""
    engine = backend.engine if isinstance(backend, InProcessBackend) else None
    features_of = getattr(engine, "evidence_features", None)
    if features_of is None:
        raise EvalError(
            "--calibrate needs the engine in process with Engine.evidence_features(question, k, filters, retriever)."
        )

    def read(question: str, k: int, retriever: str) -> Mapping[str, float] | None:
        features = features_of(question, k=k, retriever=retriever)
        return None if features is None else features.vector()

    return read


def collect_features(
    read: FeaturesReader, results: Sequence[QuestionResult], k: int, config: str
) -> list[FeatureSample]:
    """Each question's evidence features under ``config``, labelled with its question file.

    Features are read for the question the read path answered (``interpreted_as``), so a
    follow-up asked with history is weighed as the standalone question it stood for.
    Raises :class:`EvalError` naming the question whose features fail.
    """
    samples = []
    for result in results:
        question = result.question
        try:
            features = read(result.response.interpreted_as, k, config)
        except Exception as error:
            raise EvalError(f"Evidence features for question {question.id} under '{config}' failed: {error}") from error
        # source is "file:line": the file names the set the question belongs to.
        samples.append(FeatureSample(question.id, question.source.rsplit(":", 1)[0], features, question.answerable))
    return samples


def history_mode(questions: Sequence[Question], backend: Backend, no_history: bool) -> str:
    """How conversation turns are asked in this run; one of the keys of :data:`eval.report.HISTORY_MODES`."""
    if not any(question.conversation is not None for question in questions):
        return "none"
    if no_history:
        return "off"
    return "passed" if backend.accepts_history() else "unsupported"


def run_compare(report_a: Path, report_b: Path, console: Console | None = None) -> Comparison:
    """Print what changed from run A to run B, question by question, and return the comparison."""
    console = console or Console()
    comparison = compare_reports(load_report(report_a), load_report(report_b))
    console.print(render_comparison(comparison, str(report_a), str(report_b)))
    return comparison


def eval_command(
    questions: Annotated[
        list[Path] | None,
        typer.Argument(help="Question JSONL files (see eval/README.md). Default: the bundled sample questions."),
    ] = None,
    corpus: Annotated[
        list[Path] | None,
        typer.Option(
            "--corpus", help="Corpus folder; repeat for several. All are indexed together. Default: sample/corpus."
        ),
    ] = None,
    index: Annotated[
        Path | None, typer.Option("--index", help=f"Index directory to build or reuse. Default: {DEFAULT_INDEX_DIR}.")
    ] = None,
    configs: Annotated[str, typer.Option("--configs", help="Comma-separated retrievers to compare.")] = DEFAULT_CONFIGS,
    k: Annotated[int, typer.Option("--k", min=1, help="Passages retrieved per question.")] = 10,
    out: Annotated[Path, typer.Option("--out", help="Folder for report.json, report.md and chart.png.")] = Path(
        "eval-out"
    ),
    api: Annotated[
        str | None, typer.Option("--api", help="Ask a running service at this URL instead of the engine in process.")
    ] = None,
    compare: Annotated[
        tuple[Path, Path] | None,
        typer.Option("--compare", help="Compare two report.json files (A B) question by question; nothing is run."),
    ] = None,
    no_history: Annotated[
        bool,
        typer.Option("--no-history", help="Ask every turn of a conversation on its own, without the earlier turns."),
    ] = False,
    calibrate: Annotated[
        bool,
        typer.Option(
            "--calibrate",
            help="Also fit the abstention weights and threshold on each half of the questions, judge them on "
            "the other, and print recommended settings (in process only).",
        ),
    ] = False,
) -> None:
    """Evaluate retrieval and answers on question sets; or compare two runs with --compare."""
    console = Console()
    try:
        if compare is not None:
            run_compare(compare[0], compare[1], console)
            return
        run_eval(
            question_files=questions or [SAMPLE_QUESTIONS],
            corpus=corpus or ([] if api else [SAMPLE_CORPUS]),
            configs=parse_configs(configs),
            k=k,
            out_dir=out,
            index_dir=index,
            api=api,
            console=console,
            no_history=no_history,
            calibrate=calibrate,
        )
    except (QuestionFileError, GoldQuoteNotFound, EvalError, WritePathError, FileNotFoundError, ValueError) as error:
        # soft_wrap keeps paths whole for copying; escape because messages quote minutes text.
        console.print(f"[red]minutes eval: {escape(str(error))}[/red]", soft_wrap=True)
        raise typer.Exit(code=1) from error
