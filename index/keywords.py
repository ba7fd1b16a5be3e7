"""The one tokenisation used for the BM25 keyword index, at ingest and at query time alike."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import bm25s
import Stemmer


@lru_cache(maxsize=1)
def stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def keyword_tokens(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, stemmed word lists: what BM25 indexes and matches."""
    return bm25s.tokenize(
        list(texts), lower=True, stopwords="en", stemmer=stemmer(), return_ids=False, show_progress=False
    )
