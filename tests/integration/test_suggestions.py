"""Suggested next questions on a real answer of the sample index."""

from __future__ import annotations

from minutes_qa.rag.engine import Engine
from minutes_qa.rag.suggestions import item_topic


def test_an_answer_offers_questions_about_what_it_cites(sample_engine: Engine) -> None:
    question = "What did the board say about workforce risk?"
    response = sample_engine.ask(question)
    assert not response.abstained
    assert 2 <= len(response.suggestions) <= 3
    assert question not in response.suggestions
    assert len({s.lower() for s in response.suggestions}) == len(response.suggestions)
    cited = {c.passage_id for c in response.citations}
    sources = [p.source for p in response.passages if p.id in cited]
    named = [s for s in response.suggestions if any(
        (source.title and item_topic(source.title) and item_topic(source.title) in s)
        or (source.committee and source.committee in s) for source in sources)]
    assert named == response.suggestions, "every suggestion names a cited item or meeting"
