"""Retrieval's arithmetic and query reading: fusion, normalisation, ranking ties, glossary expansion, question dates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from minutes_qa.index.faiss_search import top_rows
from minutes_qa.rag.fusion import min_max_normalise, ranked, reciprocal_rank_fusion, weighted_score_fusion
from minutes_qa.rag.glossary import Glossary, GlossaryError
from minutes_qa.rag.query import analyse_query, question_dates


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
    assert np.array_equal(top_rows(scores, limit), np.argsort(-scores, kind="stable")[:limit])


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
