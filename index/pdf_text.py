"""Rebuild the paragraphs of a PDF from pypdf's text and the position of each piece of it.

pypdf's plain extraction ends a line wherever the PDF does: in mid-sentence, between the cells
of a table, around running headers and page numbers. This module keeps pypdf's text but reads
where every piece of it sits on the page, so that it can
- join the lines of a paragraph with a space, undoing hyphenation at line ends;
- keep a line break before item numbers, bullets, headings and after a visibly short line;
- drop running headers/footers and bare page numbers in the page margins;
- keep a table row on one line with its cells separated by " | ".

``page_lines`` is the only part that talks to pypdf; ``compose_pages`` is pure logic.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

from pypdf import PageObject
from pypdf.generic._font import Font

# A gap this many ems wide between two pieces of one line separates table cells.
_CELL_GAP_EMS = 2.5
# pypdf's rendering of a gap wide enough to separate cells within one piece of text.
_WIDE_SPACES = re.compile(r" {5,}")
# A note ("Clerk", "Signed by the Chair") follows the end of a sentence.
_NOTE_FOLLOWS = re.compile(r"[.;:!?)”\"]$")
# A piece placed this many ems back over the text before it has a stale position.
_STALE_JUMP_EMS = 8.0
# How far a measured text width may be off, as a share of it.
_WIDTH_ERROR = 0.15
# Share of the page height, at the top and at the bottom, where running headers and footers sit.
_MARGIN_SHARE = 0.18
# How many lines at each edge of a page may belong to a running header or footer.
_EDGE_DEPTH = 2
# Running headers sit at the same height on each page, give or take this many points.
_SAME_HEIGHT = 6.0
# A vertical step this many times the page's usual line pitch is a paragraph gap.
_PARAGRAPH_GAP = 1.45
# Glyph-space units per em in PDF font metrics.
_EM = 1000.0

_ITEM_NUMBER = re.compile(
    r"""^(
        \d{1,4}(\.\d{1,3})*\.?[a-z]{0,5}\)       # 13iii)  4.4.4.5vii)  2)
      | \d{1,4}\.(\d{1,3}\.?)*(?=\s)            # 10.  103.1  21.01.05  49.1.
      | \d{1,3}/\d{1,3}(?=\s)                   # 45/12
      | \(\s?[a-z0-9]{1,5}\s?\)                 # (a)  (iv)  (12)
      | ([a-z]|[ivx]{1,5})[.)](?=\s)            # a.  iv)
      | [A-Z][.)](?=\s)                         # A.  B)
      | Q\.?\s?\d{1,3}\b                        # Q.1
    )""",
    re.VERBOSE,
)
# Item numbers that are a whole table cell: "84." before the item's title.
_ITEM_NUMBER_CELL = re.compile(
    r"^(\d{1,4}[a-z]{0,4}([./]\d{1,3})*[.)]?|\(?[a-z]{1,4}[.)]|\([0-9a-z]{1,5}\)|[A-Z][.)])$"
)
_BULLET = re.compile(r"^[•·▪●◦‣∙■□➢✓o*\-–—](?=\s)")
# "Page 3 of 10" anywhere; "3", "- 3 -", "3/10" only in a page's margins.
_PAGE_LABEL = re.compile(r"^page\s*\d{1,4}(\s*(of|/)\s*\d{1,4})?$", re.IGNORECASE)
_BARE_PAGE_NUMBER = re.compile(r"^[-–—(]?\s*\d{1,4}\s*[-–—)]?(\s*(of|/)\s*\d{1,4})?$")
_RESOLVED = re.compile(r"^(RESOLVED|Resolved)\b\s*[:–-]?\s*(that\b)?\s*[:–-]?$")
_ORDINAL_SUFFIX = frozenset({"st", "nd", "rd", "th"})
# Words that stay joined to the next by a hyphen when a line breaks after them ("well-
# being", "self-employed"), when the document itself does not show which form it uses.
_COMPOUND_HEADS = frozenset(
    {"well", "self", "non", "ex", "co", "cross", "full", "part", "half", "long", "short",
     "all", "semi", "anti", "one", "two", "three", "four", "five", "ten", "year", "day"}
)
# Marks, while a page is composed, a line-end hyphen that only split a word.
_HYPHEN_MARK = "\u0000"
_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")


@dataclass(frozen=True)
class Line:
    """One line of a page as pypdf reads it, with where it sits.

    ``cells`` holds the line's text split where a wide gap separates table cells; ``note``
    is a short right-hand note after a sentence, such as an action owner ("Clerk"); ``x0``
    and ``x1`` are where its text starts and ends, ``y`` its baseline, all in PDF points.
    """

    cells: tuple[str, ...]
    note: str | None
    x0: float
    x1: float
    y: float
    size: float
    first_word_width: float
    in_margin: bool

    @property
    def text(self) -> str:
        """The line as stored: cells, and the note if any, joined by " | "."""
        return " | ".join((*self.cells, self.note) if self.note else self.cells)

    @property
    def is_table_row(self) -> bool:
        return len(self.cells) > 1


# --- reading a page (pypdf) ---------------------------------------------------------------


@dataclass
class _Piece:
    text: str
    x: float
    y: float
    size: float
    width: float


def page_lines(page: PageObject) -> list[Line]:
    """The non-blank lines of pypdf's plain text of ``page``, each with its position."""
    pieces: list[_Piece] = []
    widths = _FontWidths()

    def visit(text: str, cm: Any, tm: Any, font: Any, font_size: float) -> None:
        if not text:
            return
        matrix = _times(tm, cm)
        size = abs(font_size * math.hypot(matrix[0], matrix[1])) or abs(font_size) or 1.0
        width = widths.width(font, text) * size / _EM
        pieces.append(_Piece(text, matrix[4], matrix[5], size, width))

    page.extract_text(visitor_text=visit)
    box = page.mediabox
    bottom, height = float(box.bottom), float(box.height) or 1.0
    lines: list[Line] = []
    current: list[_Piece] = []
    for piece in pieces:
        parts = piece.text.split("\n")
        for index, part in enumerate(parts):
            if index:
                _add_line(lines, current, bottom, height)
                current = []
            if part:
                current.append(replace(piece, text=part) if len(parts) > 1 else piece)
    _add_line(lines, current, bottom, height)
    return lines


def _times(first: Sequence[float], second: Sequence[float]) -> tuple[float, ...]:
    """The product of two PDF transformation matrices ``[a b c d e f]``."""
    a, b, c, d, e, f = first
    a2, b2, c2, d2, e2, f2 = second
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


class _FontWidths:
    """Text widths in glyph units from each font's metrics, read once per font."""

    def __init__(self) -> None:
        self._fonts: dict[int, tuple[Font | None, dict[str, Any]]] = {}

    def width(self, font_dict: Any, text: str) -> float:
        font, by_unicode = self._font(font_dict)
        if font is None:
            return 500.0 * len(text)
        widths = font.character_widths
        default = widths.get("default", 500.0)
        total = 0.0
        for char in text:
            if char == " ":
                total += font.space_width
            elif char in widths:
                total += widths[char]
            else:
                # CID fonts key widths by character code; the text is already Unicode.
                total += widths.get(by_unicode.get(char, ""), default)
        return total

    def _font(self, font_dict: Any) -> tuple[Font | None, dict[str, Any]]:
        key = id(font_dict)
        if key not in self._fonts:
            try:
                font = Font.from_font_resource(font_dict) if font_dict is not None else None
            except Exception:  # noqa: BLE001 - a font pypdf cannot measure falls back to an estimate
                font = None
            codes = font.character_map if font is not None else {}
            self._fonts[key] = (font, {value: code for code, value in codes.items() if isinstance(value, str)})
        return self._fonts[key]


def _add_line(lines: list[Line], pieces: list[_Piece], bottom: float, height: float) -> None:
    placed = _placed(pieces)
    visible = [piece for piece in placed if piece.text.strip()]
    if not visible:
        return
    first = visible[0]
    first_word = first.text.split()[0]
    share = (first.y - bottom) / height
    cells, note = _split_note(_cells(placed))
    lines.append(
        Line(
            cells=cells,
            note=note,
            x0=first.x + _leading_space_width(first),
            x1=max(piece.x + piece.width for piece in visible),
            y=first.y,
            size=max(piece.size for piece in visible),
            first_word_width=first.width * len(first_word) / max(len(first.text), 1),
            in_margin=share < _MARGIN_SHARE or share > 1 - _MARGIN_SHARE,
        )
    )


def _placed(pieces: list[_Piece]) -> list[_Piece]:
    """The pieces with a believable x. For text shown without a new position pypdf may report
    a position from earlier in the text object, so a piece that jumps back to where an
    earlier piece started, or further back than any overflowing cell would, really follows
    the text before it."""
    placed: list[_Piece] = []
    starts: list[float] = []
    reach: float | None = None
    for piece in pieces:
        if not piece.text.strip():
            placed.append(piece)
            continue
        if reach is not None and piece.x < reach - piece.size and (
            piece.x < reach - _STALE_JUMP_EMS * piece.size
            or any(abs(piece.x - start) < 1.0 for start in starts)
        ):
            piece = replace(piece, x=reach)
        placed.append(piece)
        starts.append(piece.x)
        reach = max(reach or piece.x, piece.x + piece.width)
    return placed


def _leading_space_width(piece: _Piece) -> float:
    leading = len(piece.text) - len(piece.text.lstrip())
    return piece.width * leading / max(len(piece.text), 1)


def _cells(pieces: list[_Piece]) -> tuple[str, ...]:
    """The line's text, split into cells where a gap wider than a few ems opens. Pieces of
    white space carry pypdf's word spacing but no reliable position."""
    size = max(piece.size for piece in pieces if piece.text.strip())
    cells: list[str] = []
    text = ""
    reach: float | None = None
    allowance = 0.0
    for piece in pieces:
        stripped = piece.text.strip()
        if not stripped:
            text += piece.text
            continue
        gap = piece.x + _leading_space_width(piece) - reach if reach is not None else 0.0
        # A wide gap, or text placed back over the text before it (a cell that overflows
        # into the next column), separates cells.
        if gap > _CELL_GAP_EMS * size + allowance or gap < -size:
            cells.append(text)
            text = ""
        if stripped in _ORDINAL_SUFFIX and piece.size < 0.9 * size and text.rstrip()[-1:].isdigit():
            # A superscript ordinal ("3" + raised "rd") belongs to its number.
            text = text.rstrip() + piece.text.lstrip()
        else:
            # pypdf renders a wide gap inside one piece as a long run of spaces.
            *before, text_after = _WIDE_SPACES.split(text + piece.text)
            cells.extend(before)
            text = text_after
        reach = piece.x + piece.width
        # Font metrics can be a little off; the error grows with the length of the text.
        allowance = _WIDTH_ERROR * piece.width
    cells.append(text)
    cleaned = [_clean(cell) for cell in cells]
    return _merge_item_numbers(tuple(cell for cell in cleaned if cell))


def _split_note(cells: tuple[str, ...]) -> tuple[tuple[str, ...], str | None]:
    """Set apart a short right-hand note ending a sentence line: "... were in hand. | Clerk"."""
    if len(cells) > 1:
        *body, last = cells
        if len(last.split()) <= 4 and len(last) <= 30 and _NOTE_FOLLOWS.search(body[-1]):
            return tuple(body), last
    return cells, None


def _clean(cell: str) -> str:
    cell = re.sub(r"\s+", " ", cell).strip()
    # Symbol-font bullets come out as private-use characters (U+F0B7 and kin).
    return re.sub(r"^[\uf000-\uf0ff](?=\s|$)", "•", cell)


def _merge_item_numbers(cells: tuple[str, ...]) -> tuple[str, ...]:
    """An item number set apart by a tab stays with its item: "84. Apologies"."""
    if len(cells) > 1 and (_ITEM_NUMBER_CELL.match(cells[0]) or _BULLET.match(cells[0] + " ")):
        return (f"{cells[0]} {cells[1]}", *cells[2:])
    return cells


# --- composing paragraphs (pure) ----------------------------------------------------------


@dataclass(frozen=True)
class ComposedPages:
    """Each page's stored text, and what joins it to the page before ("" for the first)."""

    texts: tuple[str, ...]
    separators: tuple[str, ...]


def compose_pages(pages: Sequence[Sequence[Line]]) -> ComposedPages:
    """Turn the lines of every page into paragraphs, without running headers, footers and page
    numbers; a paragraph running over a page break is joined across it."""
    kept = _without_furniture(pages)
    vocabulary = _vocabulary(kept)
    texts: list[str] = []
    separators: list[str] = []
    last: tuple[int, Line, _PageGeometry] | None = None  # the last page with text so far
    for lines in kept:
        geometry = _PageGeometry.of(lines)
        texts.append(_page_text(lines, geometry, vocabulary))
        separator = ""
        if lines and last is not None:
            index, previous, previous_geometry = last
            separator = "\n\n"
            if _continues_across_pages(previous, previous_geometry, lines[0]):
                separator = _joiner(previous.text, lines[0].text, vocabulary)
                if separator == _HYPHEN_MARK:
                    # A word split across the page break: the page before loses its hyphen.
                    texts[index], separator = texts[index][:-1], ""
        separators.append(separator)
        if lines:
            last = (len(texts) - 1, lines[-1], geometry)
    return ComposedPages(texts=tuple(texts), separators=tuple(separators))


def _without_furniture(pages: Sequence[Sequence[Line]]) -> list[list[Line]]:
    """Drop page labels ("Page 3 of 10"), bare page numbers in the margins, and running
    headers and footers: lines at a page's top or bottom edge that recur at the same height
    on other pages."""
    seen: dict[str, list[tuple[int, Line]]] = {}
    for index, lines in enumerate(pages):
        for line in _edge_lines(lines):
            seen.setdefault(_furniture_key(line.text), []).append((index, line))
    running = {key for key, found in seen.items() if _is_running(found)}
    return [
        [
            line
            for line in lines
            if not (
                _is_page_number(line)
                or line in _edge_lines(lines)
                and _furniture_key(line.text) in running
            )
        ]
        for lines in pages
    ]


def _is_running(found: list[tuple[int, Line]]) -> bool:
    """Whether a line found at the edge of these pages is a running header or footer: at one
    height on at least two pages, and either the same text on each or numbered in step with
    the pages on consecutive pages ("BCC Minute 2" on page 2), unlike "(Item 8)" and
    "(Item 10)" that happen to fall at the same place on pages 6 and 8."""
    for _, center in found:
        group = [(index, line) for index, line in found if abs(line.y - center.y) <= _SAME_HEIGHT]
        if len({index for index, _ in group}) < 2:
            continue
        if len({line.text for _, line in group}) == 1:
            return True
        indexes = sorted(index for index, _ in group)
        consecutive = indexes == list(range(indexes[0], indexes[0] + len(indexes)))
        offsets = [{int(number) - index for number in re.findall(r"\d+", line.text)} for index, line in group]
        if consecutive and set.intersection(*offsets):
            return True
    return False


def _is_page_number(line: Line) -> bool:
    return bool(_PAGE_LABEL.match(line.text) or line.in_margin and _BARE_PAGE_NUMBER.match(line.text))


def _edge_lines(lines: Sequence[Line]) -> list[Line]:
    """The outermost lines at the top and bottom of a page, page numbers aside, that lie
    in its margins: where running headers and footers sit."""
    text_lines = sorted((line for line in lines if not _is_page_number(line)), key=lambda line: -line.y)
    outermost = text_lines[:_EDGE_DEPTH] + text_lines[_EDGE_DEPTH:][-_EDGE_DEPTH:]
    return [line for line in outermost if line.in_margin]


def _furniture_key(text: str) -> str:
    """Running headers differ only in their numbers: "BCC Minute 2 11/03/2026"."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", text.lower())).strip()


def _vocabulary(pages: Sequence[Sequence[Line]]) -> frozenset[str]:
    """Every word and hyphenated word of the document, to tell "well-being" from "pre-vention"."""
    return frozenset(
        word.lower() for lines in pages for line in lines for word in _WORD.findall(line.text)
    )


@dataclass(frozen=True)
class _PageGeometry:
    right_edge: float
    pitch: float | None

    @classmethod
    def of(cls, lines: Sequence[Line]) -> _PageGeometry:
        prose = [line for line in lines if not line.is_table_row and len(line.text.split()) >= 5]
        ends = sorted(line.x1 for line in (prose or lines))
        # Most prose lines run to the right margin; a high percentile ignores stray wide lines.
        right_edge = ends[int(0.8 * (len(ends) - 1))] if ends else 0.0
        steps = [
            above.y - below.y
            for above, below in pairwise(lines)
            if 0 < above.y - below.y < 3 * max(above.size, below.size)
        ]
        return cls(right_edge=right_edge, pitch=statistics.median(steps) if steps else None)


def _page_text(lines: Sequence[Line], geometry: _PageGeometry, vocabulary: frozenset[str]) -> str:
    if not lines:
        return ""
    parts = [lines[0].text]
    for previous, line in pairwise(lines):
        break_ = _break_between(previous, line, geometry)
        parts.append(break_ if break_ is not None else _joiner(previous.text, line.text, vocabulary))
        parts.append(line.text)
    return _fix_dehyphenation("".join(parts))


def _break_between(previous: Line, line: Line, geometry: _PageGeometry) -> str | None:
    """The line break to keep between two lines of a page, or None to join them."""
    if previous.is_table_row or line.is_table_row:
        return "\n"
    if _BULLET.match(line.text):
        return "\n"
    gap = _is_paragraph_gap(previous, line, geometry)
    if _ends_mid_phrase(previous.text) and _starts_lowercase_word(line.text):
        return None
    if previous.text.endswith(",") and not gap and not _starts_item(line.text):
        # A list of names wraps after a comma wherever the line ends: "Campkin," / "Miss Carey".
        return None
    if _starts_item(line.text) or _RESOLVED.match(line.text):
        return "\n\n" if gap else "\n"
    if line.y > previous.y + previous.size / 2 or _is_caps_heading(line.text) or _is_caps_heading(previous.text):
        return "\n\n" if gap else "\n"
    if gap:
        return "\n\n"
    if _ends_short(previous, line, geometry):
        return "\n"
    return None


def _continues_across_pages(previous: Line, geometry: _PageGeometry, line: Line) -> bool:
    """Whether the last line of one page runs on into the first line of the next."""
    if previous.is_table_row or line.is_table_row or _BULLET.match(line.text):
        return False
    if _ends_mid_phrase(previous.text) and _starts_lowercase_word(line.text):
        return True
    if _starts_item(line.text) or _is_caps_heading(line.text) or _RESOLVED.match(line.text):
        return False
    ends_sentence = re.search(r"[.!?:;][\"'’”)]*$", previous.text) is not None
    return not ends_sentence and previous.x1 >= geometry.right_edge - 2 * previous.size


def _is_paragraph_gap(previous: Line, line: Line, geometry: _PageGeometry) -> bool:
    step = previous.y - line.y
    if geometry.pitch is None:
        return step > 1.8 * max(previous.size, line.size)
    return step > _PARAGRAPH_GAP * geometry.pitch


def _ends_short(previous: Line, line: Line, geometry: _PageGeometry) -> bool:
    """The previous line stops well before the margin: the next line's first word would have
    fitted on it, so the break was made on purpose."""
    room = geometry.right_edge - previous.x1
    return room > line.first_word_width + previous.size


def _ends_mid_phrase(text: str) -> bool:
    return re.search(r"(\b[a-z][a-z'’]*|,)$", text) is not None


def _starts_lowercase_word(text: str) -> bool:
    return re.match(r"[a-z]", text) is not None and not _ITEM_NUMBER.match(text)


def _starts_item(text: str) -> bool:
    return _ITEM_NUMBER.match(text) is not None


def _is_caps_heading(text: str) -> bool:
    """A short line in capitals without final punctuation: "PRESENT", "FINANCE"."""
    letters = [char for char in text if char.isalpha()]
    return (
        len(letters) >= 3
        and all(char.isupper() for char in letters)
        and len(text.split()) <= 10
        and not re.search(r"[.,;]$", text)
    )



def _joiner(previous: str, line: str, vocabulary: frozenset[str]) -> str:
    """What joins two lines of one paragraph: a space, or nothing after a hyphen. A hyphen that
    only split a word is marked for removal by ``_fix_dehyphenation``."""
    if previous.endswith("\u00ad"):
        return _HYPHEN_MARK
    split = re.search(r"(?<![\s-])([A-Za-z]+)-$", previous)
    if split is None:
        return " "
    head = split.group(1)
    tail = re.match(r"[a-z]+", line)
    if tail is None:
        return ""  # "Co-" + "Operative", "2019-" + "2023": a real hyphen.
    if _keeps_hyphen(head, tail.group(0), vocabulary):
        return ""
    return _HYPHEN_MARK


def _keeps_hyphen(head: str, tail: str, vocabulary: frozenset[str]) -> bool:
    joined, hyphenated = (head + tail).lower(), f"{head}-{tail}".lower()
    if hyphenated in vocabulary:
        return True
    if joined in vocabulary:
        return False
    return head.lower() in _COMPOUND_HEADS


def _fix_dehyphenation(text: str) -> str:
    # The mark sits right after the hyphen (or soft hyphen) that split the word.
    return re.sub(f"[-\u00ad]{_HYPHEN_MARK}", "", text)


def join_pages(composed: ComposedPages) -> tuple[str, list[tuple[int, int]]]:
    """The document text and each page's ``(start, end)`` in it."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    offset = 0
    for text, separator in zip(composed.texts, composed.separators, strict=True):
        offset += len(separator)
        parts += [separator, text]
        spans.append((offset, offset + len(text)))
        offset += len(text)
    return "".join(parts), spans
