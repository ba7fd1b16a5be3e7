"""Per-request work done once: idf statistics with their unseen-term weight, and the throttled generation check."""

from __future__ import annotations

import pytest

from minutes_qa.rag.evidence import weighted_share
from minutes_qa.rag.retrieval import TermWeights
from minutes_qa.server.generation_check import GenerationCheck


def test_term_weights_carry_the_unseen_weight_and_score_as_a_plain_mapping() -> None:
    idf = {"budget": 2.0, "parking": 1.0, "the": 0.1}
    weights = TermWeights(idf)
    assert weights.unseen == 2.0 and dict(weights) == idf
    terms, tokens = frozenset({"parking", "quokka"}), frozenset({"parking", "budget"})
    # "quokka" was never indexed: it weighs as much as the rarest word, either way.
    assert weighted_share(terms, tokens, weights) == weighted_share(terms, tokens, idf) == pytest.approx(1.0 / 3.0)
    assert TermWeights({}).unseen == 1.0


def test_generation_check_is_due_at_most_once_per_interval() -> None:
    now = [100.0]
    check = GenerationCheck(interval=1.0, clock=lambda: now[0])
    assert check.due()
    assert not check.due()
    now[0] += 0.999
    assert not check.due()
    now[0] += 0.002
    assert check.due() and not check.due()


def test_memoised_keyword_tokens_equal_a_fresh_tokenisation() -> None:
    from minutes_qa.index.keywords import _MEMO_MAX_BATCH, _tokenize, keyword_tokens

    texts = [f"The committee noted item {n} on parking charges and the budget" for n in range(_MEMO_MAX_BATCH + 5)]
    fresh = _tokenize(texts)
    assert keyword_tokens(texts) == fresh  # a large batch goes straight through
    assert keyword_tokens(texts[:3]) == fresh[:3]
    again = keyword_tokens([texts[1], texts[1], "Councillors agreed"])  # memoised, repeated and new together
    assert again == [fresh[1], fresh[1], _tokenize(["Councillors agreed"])[0]]
    again[0].append("mutated")
    assert keyword_tokens([texts[1]]) == [fresh[1]]  # callers get their own lists
