"""Lines and sentences of minutes text as character spans, tuned for minutes prose.

Spans (not strings) so that every sentence stays an exact slice of its document.
"""

from __future__ import annotations

import re

from .markers import ROMAN

# Titles and abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr cllr cllrs prof st no nos e.g i.e etc vs approx co ltd rev sr jr hon col gen capt
    inc para paras cf al ref refs fig figs dept est min max vol pp p ibid viz govt assoc bros corp""".split()
)

# A candidate boundary: terminal punctuation, optional closing quotes/brackets, whitespace, then
# something that can open a sentence (capital, digit, quote, bracket, bullet).
_BOUNDARY = re.compile(r"""[.!?]+["'’”)\]]*(?=\s+["'‘“(\[]?[A-Z0-9·•])""")
# A list marker with a full stop opening a line ("2.", "2a.", "b.", "iv."): a sentence of its own,
# as "1." before a capital always was, because quotes of numbered decisions leave it out. Only the
# full-stop shapes: a bullet or "(b)" never ends in a full stop that _BOUNDARY could take for a
# sentence end, and numbers run to three digits with a letter ("150a.") as minute numbers do.
_LIST_MARKER = re.compile(rf"(?:\d{{1,3}}[a-z]?|[a-z]|{ROMAN})\.(?=\s)")


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans ``(start, end)`` of the sentences in ``text[start:end]``, whitespace trimmed.

    Line breaks always end a sentence: minutes put headings, bullets and list items on lines
    of their own, often without punctuation.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line_start, line_end in split_lines(text, start, end):
        spans.extend(_sentences_in_line(text, line_start, line_end))
    return spans


def split_lines(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of the non-blank lines of ``text[start:end]``, white space trimmed."""
    end = len(text) if end is None else end
    spans = []
    for match in re.finditer(r"[^\n]+", text[start:end]):
        trimmed = trim_span(text, start + match.start(), start + match.end())
        if trimmed:
            spans.append(trimmed)
    return spans


def trim_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Shrink ``(start, end)`` past white space (non-breaking spaces included); None if empty."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _sentences_in_line(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    sentence_start = start
    marker = _LIST_MARKER.match(text, start, end)
    if marker:
        spans.append((start, marker.end()))
        sentence_start = marker.end()
    for match in _BOUNDARY.finditer(text, sentence_start, end):
        if _ends_with_abbreviation(text, sentence_start, match.start()):
            continue
        trimmed = trim_span(text, sentence_start, match.end())
        if trimmed:
            spans.append(trimmed)
        sentence_start = match.end()
    trimmed = trim_span(text, sentence_start, end)
    if trimmed:
        spans.append(trimmed)
    return spans


def _ends_with_abbreviation(text: str, sentence_start: int, stop: int) -> bool:
    # A word, not the unit letter stuck to a number ("£1.5m." ends its sentence).
    word = re.search(r"(?<![\w.])([A-Za-z][A-Za-z.]*)$", text[sentence_start:stop])
    if not word:
        return False
    token = word.group(1).lower().rstrip(".")
    # Single capital letters are initials ("J. Smith").
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha())
