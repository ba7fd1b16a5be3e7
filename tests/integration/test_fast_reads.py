"""The idf statistics of a real index: the sample index's term weights."""

from __future__ import annotations

from minutes_qa.rag.retrieval import TermWeights

# Every test that uses ``settings`` runs on each store (tests/conftest.py).
EVERY_STORE = True


def test_sample_index_idf_is_term_weights(sample_engine) -> None:
    idf = sample_engine._generation.retriever.idf
    assert isinstance(idf, TermWeights) and idf.unseen == max(idf.values())
