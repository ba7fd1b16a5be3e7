"""The one tokenisation used for the BM25 keyword index, at ingest and at query time alike."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

# A question is tokenised again for every passage it is compared with, and a passage's sentences
# both when results are re-ranked and when the answer is composed: ~70 calls of ~0.1-0.2 ms per
# ``/ask``, mostly for texts tokenised moments before. Small requests go through a bounded memo of
# the latest texts (a few MB); an ingest's batches (the whole corpus at once) go straight through.
_MEMO_TEXTS = 16_384
_MEMO_MAX_BATCH = 256


@lru_cache(maxsize=1)
def stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


class _Memo:
    """Tokens of recently seen texts; the oldest entry goes first once full. Safe to share between threads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._tokens: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def tokens(self, texts: list[str]) -> list[list[str]]:
        with self._lock:
            known = {text: self._tokens[text] for text in texts if text in self._tokens}
        missing = [text for text in dict.fromkeys(texts) if text not in known]
        if missing:
            found = dict(zip(missing, map(tuple, _tokenize(missing)), strict=True))
            with self._lock:
                self._tokens.update(found)
                while len(self._tokens) > self._size:
                    del self._tokens[next(iter(self._tokens))]
            known.update(found)
        return [list(known[text]) for text in texts]


_memo = _Memo(_MEMO_TEXTS)


def keyword_tokens(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, stemmed word lists: what BM25 indexes and matches."""
    texts = list(texts)
    if len(texts) > _MEMO_MAX_BATCH:
        return _tokenize(texts)
    return _memo.tokens(texts)


# bm25s.tokenize's defaults, which the index was built with: scikit-learn's word pattern and its
# English stop words.
_WORDS = re.compile(r"(?u)\b\w\w+\b")
_STOP_WORDS = frozenset(STOPWORDS_EN)


def _tokenize(texts: list[str]) -> list[list[str]]:
    """``bm25s.tokenize(texts, lower=True, stopwords="en", stemmer=stemmer(), return_ids=False)``, token
    for token, without its per-call costs (a stop-word set built per text, progress bars, id tables):
    those made up most of tokenising a question."""
    words = [[word for word in _WORDS.findall(text.lower()) if word not in _STOP_WORDS] for text in texts]
    distinct = list(dict.fromkeys(word for text_words in words for word in text_words))
    stems = dict(zip(distinct, stemmer().stemWords(distinct), strict=True))
    return [[stems[word] for word in text_words] for text_words in words]
