"""Gold quotes located in stored text, and relevance as half-open span overlap."""

from __future__ import annotations

from pathlib import Path

import pytest

from minutes_qa.eval.questions import GoldQuote, Question, load_questions
from minutes_qa.eval.relevance import (
    GoldQuoteNotFound,
    GoldSpan,
    covered_gold,
    gold_spans,
    locate_quote,
    normalise_newlines,
    overlaps,
)
from support import REPO

ROOT = REPO
SHARED = ROOT.parent / "shared"


def question(*gold: GoldQuote) -> Question:
    return Question(
        id="q-7", question="?", type="factoid", answerable=True, gold=gold, answer="", keywords=(), source="set.jsonl:7"
    )


def corpus_texts(*folders: Path) -> dict[str, str]:
    """File name -> text as the index stores a .txt file (line endings normalised)."""
    return {
        path.name: normalise_newlines(path.read_text(encoding="utf-8"))
        for folder in folders
        for path in sorted(folder.iterdir())
        if path.suffix == ".txt"
    }


def test_exact_quote_found_at_every_occurrence() -> None:
    text = "Apples. The board agreed. Pears. The board agreed."
    assert locate_quote(text, "The board agreed.") == [(8, 25), (33, 50)]


def test_quote_line_endings_are_normalised_like_the_index() -> None:
    text = "Item 1\nMinutes:\nAgreed."
    assert locate_quote(text, "Minutes:\r\nAgreed.") == [(7, 23)]


def test_whitespace_insensitive_match_when_no_exact_match() -> None:
    text = "Dr Tim Spicer\xa0added that  NW London\nhad a transient population."
    assert locate_quote(text, "Dr Tim Spicer added that NW London had") == [(0, text.index("had") + 3)]


def test_missing_quote_is_an_error_naming_question_file_and_quote_start() -> None:
    texts = {"a.txt": "The chair is Ann."}
    with pytest.raises(GoldQuoteNotFound) as caught:
        gold_spans(question(GoldQuote("a.txt", "The chair is Bob, who was elected in May.")), texts)
    message = str(caught.value)
    assert "q-7" in message and "set.jsonl:7" in message and "'a.txt'" in message
    assert "The chair is Bob" in message


def test_gold_file_not_indexed_is_an_error_suggesting_corpus() -> None:
    expected = r"'b\.txt' is not in the index; pass the folder holding it with --corpus"
    with pytest.raises(GoldQuoteNotFound, match=expected):
        gold_spans(question(GoldQuote("b.txt", "anything")), {"a.txt": "anything"})


def test_gold_spans_carry_gold_index_and_file() -> None:
    texts = {"a.txt": "One. Two. Three.", "b.txt": "Four."}
    spans = gold_spans(question(GoldQuote("a.txt", "Three."), GoldQuote("b.txt", "Four.")), texts)
    assert spans == (GoldSpan(0, "a.txt", 10, 16), GoldSpan(1, "b.txt", 0, 5))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0, 10), (5, 15), True),
        ((5, 15), (0, 10), True),
        ((0, 10), (10, 20), False),  # touching half-open intervals share no character
        ((10, 20), (0, 10), False),
        ((0, 100), (40, 41), True),  # containment
        ((3, 3), (0, 10), False),  # an empty span overlaps nothing
    ],
)
def test_overlaps_is_half_open(a: tuple[int, int], b: tuple[int, int], expected: bool) -> None:
    assert overlaps(*a, *b) is expected


def test_covered_gold_needs_same_file_and_overlap() -> None:
    spans = (GoldSpan(0, "a.txt", 100, 200), GoldSpan(1, "a.txt", 300, 400), GoldSpan(2, "b.txt", 100, 200))
    assert covered_gold("a.txt", 150, 350, spans) == {0, 1}
    assert covered_gold("b.txt", 150, 160, spans) == {2}
    assert covered_gold("a.txt", 200, 300, spans) == frozenset()
    assert covered_gold("c.txt", 0, 1000, spans) == frozenset()


def test_every_shared_gold_quote_is_in_the_shared_corpus() -> None:
    texts = corpus_texts(SHARED / "corpus" / "seeds", SHARED / "corpus" / "dev")
    questions = load_questions([SHARED / "eval" / "seeds.jsonl", SHARED / "eval" / "dev.jsonl"])
    located = {q.id: gold_spans(q, texts) for q in questions}
    assert sum(len({span.gold_index for span in spans}) for spans in located.values()) == sum(
        len(q.gold) for q in questions
    )


def test_every_sample_gold_quote_is_in_the_sample_corpus() -> None:
    texts = corpus_texts(ROOT / "sample" / "corpus")
    for q in load_questions([ROOT / "eval" / "sample_questions.jsonl"]):
        spans = gold_spans(q, texts)
        assert {span.gold_index for span in spans} == set(range(len(q.gold)))
        for span in spans:
            assert texts[span.file][span.start : span.end] == q.gold[span.gold_index].quote
