"""Retrieval over real indexes: the user glossary, question years, filters, diversity, modes, index kinds."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from minutes_qa.contract import Filters, Passage
from minutes_qa.index.embedding import Embedder
from minutes_qa.index.ingest import ingest
from minutes_qa.rag.engine import Engine
from minutes_qa.settings import Settings
from support import SHARED_CORPUS, SHARED_EVAL

MODES = ("hybrid", "dense", "bm25")
# Every test that uses ``settings`` runs on each store (tests/conftest.py).
EVERY_STORE = True


def questions(name: str) -> list[str]:
    with open(SHARED_EVAL / name, encoding="utf-8") as handle:
        return [json.loads(line)["question"] for line in handle if line.strip()]


# --- glossary --------------------------------------------------------------------------------


def test_user_glossary_reaches_the_engine(tmp_path: Path, sample_index: Path, settings: Settings) -> None:
    extra = tmp_path / "glossary.txt"
    extra.write_text("QMRS: quokka meadow rewilding scheme\n", encoding="utf-8")
    engine = Engine.open(sample_index, settings.replace(glossary_file=extra))
    assert engine.glossary.expand("QMRS") == ["quokka meadow rewilding scheme"]


# --- dates in questions ----------------------------------------------------------------------


def test_question_year_narrows_retrieval(corpus_engine: Engine) -> None:
    """A year named in a question keeps out meetings known to be from other years."""
    result = corpus_engine.search("What did the Cabinet decide about care home fees in 2025?", k=8)
    assert result.passages
    dates = [p.source.meeting_date for p in result.passages]
    assert all(d is None or d.startswith("2025") for d in dates), dates
    assert any(d and d.startswith("2025") for d in dates)


def test_question_year_matching_nothing_does_not_hide_everything(corpus_engine: Engine) -> None:
    assert corpus_engine.search("What did the council decide about potholes in 1955?", k=5).passages


# --- filters ---------------------------------------------------------------------------------

FILTER_QUERIES = (
    "What did the board say about workforce risk?",
    "care home fees increase",
    "budget and council tax",
    "Ofsted inspection of children's services",
)


def _check(passages: list[Passage], predicate, label: str) -> None:
    bad = [(p.source.file, p.source.committee, p.source.council, p.source.meeting_date) for p in passages if not predicate(p)]
    assert not bad, f"{label}: {bad}"


@pytest.mark.parametrize("mode", MODES)
def test_committee_filter(corpus_engine: Engine, mode: str) -> None:
    for query in FILTER_QUERIES:
        passages = corpus_engine.search(query, k=8, filters=Filters(committee="cabinet"), retriever=mode).passages
        _check(passages, lambda p: "cabinet" in (p.source.committee or "").lower(), f"{query} {mode}")
    assert corpus_engine.search("care home fees", filters=Filters(committee="cabinet"), retriever=mode).passages


@pytest.mark.parametrize("mode", MODES)
def test_council_filter(corpus_engine: Engine, mode: str) -> None:
    for query in FILTER_QUERIES:
        passages = corpus_engine.search(query, k=8, filters=Filters(council="Kent"), retriever=mode).passages
        _check(passages, lambda p: "kent" in (p.source.council or "").lower(), f"{query} {mode}")
    assert corpus_engine.search("shadow health and wellbeing board", filters=Filters(council="kent"), retriever=mode).passages


@pytest.mark.parametrize("mode", MODES)
def test_date_filters(corpus_engine: Engine, mode: str) -> None:
    since, until = date(2018, 1, 1), date(2020, 12, 31)
    for query in FILTER_QUERIES:
        both = corpus_engine.search(query, k=8, filters=Filters(since=since, until=until), retriever=mode).passages
        _check(both, lambda p: p.source.meeting_date is not None and "2018-01-01" <= p.source.meeting_date <= "2020-12-31", query)
        after = corpus_engine.search(query, k=8, filters=Filters(since=since), retriever=mode).passages
        _check(after, lambda p: p.source.meeting_date is not None and p.source.meeting_date >= "2018-01-01", query)
        before = corpus_engine.search(query, k=8, filters=Filters(until=until), retriever=mode).passages
        _check(before, lambda p: p.source.meeting_date is not None and p.source.meeting_date <= "2020-12-31", query)
    assert corpus_engine.search("budget", filters=Filters(since=since, until=until), retriever=mode).passages


@pytest.mark.parametrize("mode", MODES)
def test_file_filter(corpus_engine: Engine, mode: str) -> None:
    file = "a29_denbighshire_care-home-fees.txt"
    for query in (*FILTER_QUERIES, "fee setting"):
        passages = corpus_engine.search(query, k=5, filters=Filters(file=file), retriever=mode).passages
        _check(passages, lambda p: p.source.file == file, query)
    assert corpus_engine.search("care home fee setting", filters=Filters(file=file), retriever=mode).passages


def test_combined_filters(corpus_engine: Engine) -> None:
    filters = Filters(committee="cabinet", since=date(2015, 1, 1), until=date(2025, 12, 31))
    passages = corpus_engine.search("care home fees", k=8, filters=filters).passages
    assert passages
    _check(
        passages,
        lambda p: "cabinet" in (p.source.committee or "").lower() and "2015-01-01" <= (p.source.meeting_date or "") <= "2025-12-31",
        "combined",
    )


@pytest.mark.parametrize(
    "filters",
    [
        Filters(committee="Quokka Appreciation Society"),
        Filters(council="Atlantis"),
        Filters(file="no-such-file.txt"),
        Filters(since=date(2040, 1, 1)),
        Filters(until=date(1990, 1, 1)),
        Filters(committee="cabinet", council="Atlantis"),
    ],
)
def test_filter_matching_nothing_returns_nothing(corpus_engine: Engine, filters: Filters) -> None:
    for mode in MODES:
        assert corpus_engine.search("care home fees", filters=filters, retriever=mode).passages == []
    answer = corpus_engine.ask("What did the cabinet decide about care home fees?", filters=filters)
    assert answer.abstained and answer.citations == [] and answer.passages == []
    assert any("removing the filters" in suggestion for suggestion in answer.suggestions)


# --- diversity and modes ---------------------------------------------------------------------


def _chunks_of(engine: Engine, passage: Passage) -> list:
    source = passage.source
    return [c for c in engine.reader.chunks if c.doc_id == source.doc_id and source.start <= c.start and c.end <= source.end]


def _overlap_share(a: Passage, b: Passage) -> float:
    if a.source.doc_id != b.source.doc_id:
        return 0.0
    shared = min(a.source.end, b.source.end) - max(a.source.start, b.source.start)
    shorter = min(a.source.end - a.source.start, b.source.end - b.source.start)
    return max(shared, 0) / max(1, shorter)


@pytest.fixture(scope="module")
def sample_questions() -> list[str]:
    """A spread of real questions: every fourth of seeds and dev."""
    return (questions("seeds.jsonl") + questions("dev.jsonl"))[::4]


@pytest.mark.parametrize("mode", MODES)
def test_results_are_diverse(corpus_engine: Engine, sample_questions: list[str], mode: str) -> None:
    problems = []
    for question in sample_questions:
        passages = corpus_engine.search(question, k=10, retriever=mode).passages
        groups = [c.duplicate_of or c.chunk_id for p in passages for c in _chunks_of(corpus_engine, p)]
        if len(groups) != len(set(groups)):
            problems.append(f"{question!r}: a duplicate group appears twice")
        for i, a in enumerate(passages):
            for b in passages[i + 1 :]:
                if _overlap_share(a, b) > 0.5:
                    problems.append(f"{question!r}: {a.id} and {b.id} overlap by {_overlap_share(a, b):.2f}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_returns_ranked_exact_passages(corpus_engine: Engine, sample_questions: list[str], mode: str) -> None:
    for question in sample_questions:
        passages = corpus_engine.search(question, k=5, retriever=mode).passages
        assert 1 <= len(passages) <= 5, question
        assert [p.rank for p in passages] == list(range(1, len(passages) + 1))
        scores = [p.score for p in passages]
        assert scores == sorted(scores, reverse=True), (question, scores)
        for p in passages:
            chunks = _chunks_of(corpus_engine, p)
            assert 1 <= len(chunks) <= corpus_engine.settings.retrieval.max_passage_chunks
            assert p.text == corpus_engine.reader.document_text(p.source.doc_id)[p.source.start : p.source.end]
            assert p.source.file == corpus_engine.reader.documents[p.source.doc_id].file


def test_modes_find_the_workforce_passage(corpus_engine: Engine) -> None:
    for mode in MODES:
        top = corpus_engine.search("workforce shortages vacancy numbers strain on existing staff", k=3, retriever=mode).passages
        assert any("workforce shortages" in p.text for p in top), mode


def test_bm25_needs_words_the_index_knows(corpus_engine: Engine) -> None:
    assert corpus_engine.search("the of and", retriever="bm25").passages == []
    assert corpus_engine.search("the of and", retriever="dense").passages


def test_rrf_fusion_setting_works(corpus_index: Path, settings: Settings) -> None:
    # Without re-ranking, a passage's score is its fused RRF score.
    engine = Engine.open(corpus_index, settings.replace(fusion="rrf", rerank_weight=0.0))
    passages = engine.search("workforce shortages vacancy numbers", k=5).passages
    assert len(passages) == 5 and any("workforce shortages" in p.text for p in passages)
    assert all(0 < p.score <= 2 / (settings.retrieval.rrf_k + 1) + 1e-9 for p in passages)


def test_unknown_retriever_is_refused(corpus_engine: Engine) -> None:
    with pytest.raises(ValueError, match="Unknown retriever 'magic'"):
        corpus_engine.search("budget", retriever="magic")


def test_k_limits_the_number_of_results(corpus_engine: Engine) -> None:
    for k in (1, 3, 12):
        assert len(corpus_engine.search("budget and council tax", k=k).passages) == k


def test_filtered_search_on_an_ivf_index_matches_the_exact_index(
    tmp_path: Path, settings: Settings, embedder: Embedder, corpus_engine: Engine
) -> None:
    # Most meetings allowed: the IVF index filters inside its own search instead of a full scan.
    ivf_settings = settings.replace(index_type="ivf")
    ingest([SHARED_CORPUS / "seeds", SHARED_CORPUS / "dev"], tmp_path, ivf_settings, progress=False, embedder=embedder)
    ivf_engine = Engine.open(tmp_path, ivf_settings)
    assert ivf_engine.reader.manifest.index_type == "ivf"
    filters = Filters(since=date(2010, 1, 1))
    for query in ("workforce shortages and vacancies", "treasury management report", "pothole repairs"):
        expected = [p.id for p in corpus_engine.search(query, k=5, filters=filters).passages]
        found = ivf_engine.search(query, k=5, filters=filters).passages
        assert all(p.source.meeting_date and p.source.meeting_date >= "2010-01-01" for p in found)
        assert [p.id for p in found][:3] == expected[:3], query
