"""Driving the read path: build the index, ask every question under every configuration.

Two backends hide where the answers come from, so the metric code never knows:
the engine in this process, or a running service over HTTP (``--api``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from minutes.settings import Settings
from rag.contract import AskResponse

from .metrics import QuestionResult
from .questions import Question
from .relevance import GoldSpan, gold_spans

if TYPE_CHECKING:
    from index.ingest import IngestReport


class EvalError(RuntimeError):
    """The evaluation cannot run as asked; the message says what to change."""


class Backend(Protocol):
    """Where answers come from."""

    def ask(self, question: str, k: int, retriever: str) -> AskResponse:
        """Answer ``question`` from the top ``k`` passages of ``retriever``."""
        ...

    def document_texts(self, files: Iterable[str]) -> dict[str, str]:
        """The stored text of each named file that is indexed; unknown files are left out."""
        ...

    def check_retrievers(self, names: Sequence[str]) -> None:
        """Raise :class:`EvalError` if any of ``names`` cannot be asked for."""
        ...

    def close(self) -> None:
        """Release the backend's resources."""
        ...


class InProcessBackend:
    """The engine of :mod:`rag.engine`, opened on an index directory in this process."""

    def __init__(self, index_dir: Path, settings: Settings) -> None:
        from rag.engine import Engine  # see build_index: heavy imports only where needed

        self.engine = Engine.open(index_dir, settings)

    def ask(self, question: str, k: int, retriever: str) -> AskResponse:
        return self.engine.ask(question, k=k, retriever=retriever)

    def document_texts(self, files: Iterable[str]) -> dict[str, str]:
        texts = {}
        for file in files:
            try:
                texts[file] = self.engine.document_text(file)
            except KeyError:
                continue
        return texts

    def check_retrievers(self, names: Sequence[str]) -> None:
        unknown = [name for name in names if name not in self.engine.retrievers]
        if unknown:
            raise EvalError(
                f"Unknown configuration(s) {', '.join(unknown)}: --configs takes {', '.join(self.engine.retrievers)}."
            )

    def close(self) -> None:
        self.engine.reader.close()


class HttpBackend:
    """A running minutes-qa service, reached with httpx."""

    def __init__(self, api_url: str, timeout_seconds: float, transport: httpx.BaseTransport | None = None) -> None:
        self.api_url = api_url.rstrip("/")
        self.client = httpx.Client(base_url=self.api_url, timeout=timeout_seconds, transport=transport)

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise EvalError(
                f"Cannot reach the service at {self.api_url}{path}: {error}. Is `minutes serve` running?"
            ) from error
        if response.is_error:
            raise EvalError(f"{method} {self.api_url}{path} answered {response.status_code}: {response.text[:300]}")
        return response.json()

    def ask(self, question: str, k: int, retriever: str) -> AskResponse:
        body = self._json("POST", "/ask", json={"question": question, "k": k, "retriever": retriever})
        return AskResponse.model_validate(body)

    def document_texts(self, files: Iterable[str]) -> dict[str, str]:
        listing = self._json("GET", "/documents")
        if not isinstance(listing, list):
            raise EvalError(f"GET {self.api_url}/documents did not return a list of documents.")
        doc_ids = {entry["file"]: entry["doc_id"] for entry in listing}
        return {
            file: self._json("GET", f"/documents/{doc_ids[file]}")["text"] for file in files if file in doc_ids
        }

    def check_retrievers(self, names: Sequence[str]) -> None:
        # The service has no listing of retrievers; an unknown name fails on the first /ask with its message.
        return None

    def close(self) -> None:
        self.client.close()


def build_index(corpus: Sequence[Path], index_dir: Path, settings: Settings, progress: bool = True) -> IngestReport:
    """Bring ``index_dir`` up to date with exactly the files under ``corpus`` and return the ingest report.

    Ingest is incremental, so an index already built from the same files is reused as
    it is; ``prune`` drops documents of folders no longer given, so every question is
    answered against this corpus and nothing else.
    """
    # Imported here: they load torch and FAISS, which --api and --compare runs never need.
    from index.ingest import ingest
    from rag.engine import shared_embedder

    missing = [str(folder) for folder in corpus if not Path(folder).exists()]
    if missing:
        raise EvalError(f"Corpus folder(s) not found: {', '.join(missing)}.")
    # The engine opened afterwards takes the same cached model, so it is loaded once per run.
    embedder = shared_embedder(settings.model, settings.embed_backend, settings.embed_cache_dir)
    return ingest(list(corpus), index_dir, settings, prune=True, progress=progress, embedder=embedder)


def locate_gold(questions: Sequence[Question], backend: Backend) -> dict[str, tuple[GoldSpan, ...]]:
    """Every question's gold spans in the index's stored text, checked before any question is asked.

    Raises :class:`~eval.relevance.GoldQuoteNotFound` for the first quote or file that
    cannot be found, so a broken question set fails before a long run, not after it.
    """
    files = sorted({gold.file for question in questions for gold in question.gold})
    texts = backend.document_texts(files)
    return {question.id: gold_spans(question, texts) for question in questions}


def run_questions(
    backend: Backend,
    questions: Sequence[Question],
    spans: dict[str, tuple[GoldSpan, ...]],
    configs: Sequence[str],
    k: int,
    on_result: Callable[[str, QuestionResult], None] | None = None,
) -> dict[str, list[QuestionResult]]:
    """Ask every question under every configuration and time each call.

    One untimed call per configuration comes first, so that loading models or caches
    on first use does not land in the latency percentiles.
    """
    backend.check_retrievers(configs)
    results: dict[str, list[QuestionResult]] = {}
    for config in configs:
        _ask(backend, questions[0], k, config)
        results[config] = []
        for question in questions:
            started = time.perf_counter()
            response = _ask(backend, question, k, config)
            latency_ms = (time.perf_counter() - started) * 1000
            result = QuestionResult(question, spans[question.id], response, latency_ms)
            results[config].append(result)
            if on_result is not None:
                on_result(config, result)
    return results


def _ask(backend: Backend, question: Question, k: int, config: str) -> AskResponse:
    """``backend.ask``, with any failure naming the question and configuration it happened on."""
    try:
        return backend.ask(question.question, k, config)
    except EvalError:
        raise
    except Exception as error:
        raise EvalError(f"Question {question.id} under '{config}' failed: {error}") from error
