"""Retrieval: fusion arithmetic, glossary expansion, question dates, filters, diversity, modes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from support import SHARED_CORPUS, SHARED_EVAL

from minutes_qa.index.embedding import Embedder
from minutes_qa.index.ingest import ingest
from minutes_qa.settings import Settings
from minutes_qa.rag.contract import Filters, Passage
from minutes_qa.rag.engine import Engine
from minutes_qa.rag.fusion import min_max_normalise, ranked, reciprocal_rank_fusion, weighted_score_fusion
from minutes_qa.rag.glossary import Glossary, GlossaryError
from minutes_qa.rag.query import analyse_query, question_dates
from minutes_qa.rag.retrieval import _top_rows

MODES = ("hybrid", "dense", "bm25")


def questions(name: str) -> list[str]:
    with open(SHARED_EVAL / name, encoding="utf-8") as handle:
        return [json.loads(line)["question"] for line in handle if line.strip()]


# --- fusion ----------------------------------------------------------------------------------


def test_rrf_exact_values() -> None:
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1]], k=60)
    assert fused == pytest.approx({1: 1 / 61 + 1 / 62, 2: 1 / 62, 3: 1 / 63 + 1 / 61})
    assert ranked(fused) == [1, 3, 2]


def test_rrf_with_small_k_and_empty_lists() -> None:
    assert reciprocal_rank_fusion([[7], [], [7, 8]], k=1) == pytest.approx({7: 1 / 2 + 1 / 2, 8: 1 / 3})
    assert reciprocal_rank_fusion([], k=60) == {}
    assert reciprocal_rank_fusion([[], []]) == {}


def test_weighted_fusion_exact_values() -> None:
    dense = {1: 0.9, 2: 0.5, 3: 0.1}
    keyword = {1: 2.0, 4: 10.0}
    fused = weighted_score_fusion([dense, keyword], [0.4, 0.6])
    # dense normalised: 1 -> 1, 2 -> 0.5, 3 -> 0; keyword normalised: 1 -> 0, 4 -> 1.
    assert fused == pytest.approx({1: 0.4, 2: 0.2, 3: 0.0, 4: 0.6})
    assert ranked(fused) == [4, 1, 2, 3]


def test_weighted_fusion_keeps_items_of_constant_lists() -> None:
    fused = weighted_score_fusion([{1: 0.3, 2: 0.3}, {}], [0.5, 0.5])
    assert fused == pytest.approx({1: 0.5, 2: 0.5})
    assert weighted_score_fusion([{1: -1.0}, {2: 0.0}], [0.5, 0.5]) == {1: 0.0, 2: 0.0}


def test_weighted_fusion_needs_one_weight_per_list() -> None:
    with pytest.raises(ValueError, match="one weight per score map"):
        weighted_score_fusion([{1: 1.0}, {1: 2.0}], [1.0])


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ({}, {}),
        ({5: 3.0}, {5: 1.0}),
        ({5: 0.0}, {5: 0.0}),
        ({5: -2.0, 6: -2.0}, {5: 0.0, 6: 0.0}),
        ({5: 0.7, 6: 0.7, 7: 0.7}, {5: 1.0, 6: 1.0, 7: 1.0}),
        ({1: -1.0, 2: 0.0, 3: 3.0}, {1: 0.0, 2: 0.25, 3: 1.0}),
        ({1: 10.0, 2: 20.0}, {1: 0.0, 2: 1.0}),
    ],
)
def test_min_max_normalise_edge_cases(scores: dict[int, float], expected: dict[int, float]) -> None:
    assert min_max_normalise(scores) == pytest.approx(expected)


def test_ranked_breaks_ties_by_item() -> None:
    assert ranked({9: 1.0, 3: 1.0, 5: 2.0, 1: 0.5}) == [5, 3, 9, 1]


@pytest.mark.parametrize("limit", [1, 7, 60, 150, 250])
def test_top_rows_are_those_of_a_full_stable_sort(limit: int) -> None:
    """Tied scores (common in BM25, and every masked-out row at -inf) keep row order, as a full stable sort does."""
    rng = np.random.default_rng(limit)
    scores = rng.integers(0, 6, size=200).astype(np.float32)
    scores[rng.random(200) < 0.6] = -np.inf
    assert np.array_equal(_top_rows(scores, limit), np.argsort(-scores, kind="stable")[:limit])


# --- glossary --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return Glossary.load()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What did the ICB decide?", ["integrated care board"]),
        ("integrated care board membership", ["ICB"]),
        ("What is the role of the integrated care boards?", ["ICB"]),
        ("How many ICSs are there?", ["integrated care system"]),
        ("What did the ICS and the ICP agree?", ["integrated care system", "integrated care partnership"]),
        ("SEND transport policy", ["special educational needs and disabilities"]),
        ("NICE guidance on falls", ["national institute for health and care excellence"]),
        ("Did they send the report?", []),
        ("Send the report to the board", []),
        ("a nice day for a walk", []),
        ("What about send provision in 2020?", []),
        ("The weather was fine", []),
    ],
)
def test_glossary_expansion_both_ways(glossary: Glossary, text: str, expected: list[str]) -> None:
    assert glossary.expand(text) == expected


def test_query_analysis_carries_expansions(glossary: Glossary) -> None:
    analysis = analyse_query("  What  did the ICB say?  ", glossary)
    assert analysis.text == "What did the ICB say?"
    assert analysis.expansions == ("integrated care board",)
    assert analysis.keyword_text == "What did the ICB say? integrated care board"
    assert analysis.dense_text == "What did the ICB say? (integrated care board)"
    plain = analyse_query("What about potholes?", glossary)
    assert plain.expansions == () and plain.dense_text == plain.keyword_text == "What about potholes?"


def test_user_glossary_extends_and_overrides(tmp_path: Path) -> None:
    extra = tmp_path / "glossary.txt"
    extra.write_text(
        "# our own\n\nQMRS: quokka meadow rewilding scheme\nICB: integrated care board for the county\n", encoding="utf-8"
    )
    glossary = Glossary.load(extra)
    assert glossary.expand("QMRS progress") == ["quokka meadow rewilding scheme"]
    assert glossary.expand("the Quokka Meadow Rewilding Scheme") == ["QMRS"]
    assert glossary.expand("ICB") == ["integrated care board for the county"]
    assert glossary.expand("HOSC") == ["health overview and scrutiny committee"], "built-in entries remain"


def test_user_glossary_reaches_the_engine(tmp_path: Path, sample_index: Path, settings: Settings) -> None:
    extra = tmp_path / "glossary.txt"
    extra.write_text("QMRS: quokka meadow rewilding scheme\n", encoding="utf-8")
    engine = Engine.open(sample_index, settings.replace(glossary_file=extra))
    assert engine.glossary.expand("QMRS") == ["quokka meadow rewilding scheme"]


@pytest.mark.parametrize("bad_line", ["no separator here", ": missing acronym", "ABC:   "])
def test_malformed_user_glossary_names_file_and_line(tmp_path: Path, bad_line: str) -> None:
    extra = tmp_path / "my-glossary.txt"
    extra.write_text(f"# comment\nQMRS: quokka meadow rewilding scheme\n\n{bad_line}\n", encoding="utf-8")
    with pytest.raises(GlossaryError) as raised:
        Glossary.load(extra)
    message = str(raised.value)
    assert f"{extra}, line 4" in message and "ACRONYM: expansion" in message


def test_missing_user_glossary_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(GlossaryError, match="does not exist"):
        Glossary.load(tmp_path / "nope.txt")


# --- dates in questions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What did the board decide in 2018?", (date(2018, 1, 1), date(2018, 12, 31))),
        ("What happened during March 2019?", (date(2019, 3, 1), date(2019, 3, 31))),
        ("What changed since March 2022?", (date(2022, 3, 1), None)),
        ("What was agreed between 2019 and 2021?", (date(2019, 1, 1), date(2021, 12, 31))),
        ("What was agreed between 2021 and 2019?", (date(2019, 1, 1), date(2021, 12, 31))),
        ("What was decided before 2020?", (None, date(2019, 12, 31))),
        ("What did the Health and Care Act 2022 change?", (None, None)),
        ("What did the 2019/20 budget say?", (None, None)),
        ("What happened in 2018 and in 2019?", (None, None)),
        ("Who chairs the board?", (None, None)),
        ("in february 2020", (date(2020, 2, 1), date(2020, 2, 29))),
    ],
)
def test_question_dates(question: str, expected: tuple) -> None:
    assert question_dates(question) == expected


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
