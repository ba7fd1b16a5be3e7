"""Relevance by span overlap: where each gold quote lies, and which passages touch it.

Judging by character spans in the stored document text (rather than by passage ids)
keeps the judgement independent of how the index chunked the text, so question sets
stay valid when the chunker changes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .questions import Question


class GoldQuoteNotFound(ValueError):
    """A gold quote cannot be located in its file: the question set or the corpus is wrong."""


@dataclass(frozen=True)
class GoldSpan:
    """One occurrence of gold quote number ``gold_index`` of a question, as a half-open span."""

    gold_index: int
    file: str
    start: int
    end: int


def normalise_newlines(text: str) -> str:
    """Line endings as the index stores them: ``\\r\\n`` and lone ``\\r`` become ``\\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def locate_quote(text: str, quote: str) -> list[tuple[int, int]]:
    """Every occurrence of ``quote`` in ``text`` as ``(start, end)``; empty if there is none.

    Exact matches are preferred. Only when there is none does a whitespace-insensitive
    match apply (any run of whitespace, non-breaking spaces included, matches any other),
    because question writers copy quotes from rendered pages where spacing is lost.
    """
    quote = normalise_newlines(quote)
    spans = []
    start = text.find(quote)
    while start != -1:
        spans.append((start, start + len(quote)))
        start = text.find(quote, start + len(quote))
    if spans:
        return spans
    words = quote.split()
    if not words:
        return []
    pattern = re.compile(r"\s+".join(re.escape(word) for word in words))
    return [(match.start(), match.end()) for match in pattern.finditer(text)]


def gold_spans(question: Question, document_text_by_file: Mapping[str, str]) -> tuple[GoldSpan, ...]:
    """The spans of all of ``question``'s gold quotes in the stored document texts.

    Raises :class:`GoldQuoteNotFound` naming the question, the file and the start of the
    quote when a file is not indexed or a quote is not in it: a gold quote that cannot
    be found would otherwise count as a retrieval miss that no system could avoid.
    """
    spans: list[GoldSpan] = []
    for gold_index, gold in enumerate(question.gold):
        if gold.file not in document_text_by_file:
            raise GoldQuoteNotFound(
                f"Question {question.id} ({question.source}): gold file '{gold.file}' is not in the index; "
                "pass the folder holding it with --corpus."
            )
        found = locate_quote(document_text_by_file[gold.file], gold.quote)
        if not found:
            raise GoldQuoteNotFound(
                f"Question {question.id} ({question.source}): gold quote {gold_index + 1} starting "
                f"{gold.quote[:60]!r} is not in '{gold.file}'; copy the quote exactly from the file."
            )
        spans.extend(GoldSpan(gold_index, gold.file, start, end) for start, end in found)
    return tuple(spans)


def overlaps(start_a: int, end_a: int, start_b: int, end_b: int) -> bool:
    """Whether two half-open intervals share at least one character (an empty one shares none)."""
    return max(start_a, start_b) < min(end_a, end_b)


def covered_gold(file: str, start: int, end: int, spans: Sequence[GoldSpan]) -> frozenset[int]:
    """The gold quote numbers that the passage ``file[start:end]`` overlaps."""
    return frozenset(
        span.gold_index for span in spans if span.file == file and overlaps(start, end, span.start, span.end)
    )
