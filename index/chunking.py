"""Structure-aware chunking of a minutes document into exact, model-sized passages.

A document is read as lines; lines are classified (agenda-item heading, section heading such as
"Minutes:" or "RESOLVED", bullet, prose) and split into sentences. Sentences are packed into
chunks that
- never cross an agenda item, and start afresh at "Minutes:", "RESOLVED" and similar headings;
- never cut a sentence (a single sentence longer than the budget is cut between words);
- fit the embedding model's token limit, contextual header included, counted with its tokenizer;
- overlap their neighbour by a sentence when a long section is split.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from minutes_qa.text.dates import MONTHS, human_date, month_pattern
from minutes_qa.text.sentences import split_lines, split_sentences

from .records import Chunk, Document, DocumentMetadata

# Raised whenever the passages made from the same file change (2: whole item titles, numbered
# decisions inside items, and the PDF reader's rebuilt paragraphs): an incremental ingest refuses
# an index of another version rather than keep stale passages for the files it leaves unchanged.
CHUNKER_VERSION = 2

TokenCounter = Callable[[Sequence[str]], list[int]]

# A new agenda item: ModernGov's "Meeting: dd/mm/yyyy - Committee (Item n)" line, its
# "Agenda item" page marker, or a numbered item title ("150 Improving health ... PDF 259 KB").
_ITEM_MARKER = re.compile(r"^(Meeting:\s|Agenda item$|Issue - meetings$)")
# A numbered line that may be an item title; numbered decisions and findings ("2.  That the
# contract ... be awarded;") look the same, so _is_item_title weighs its context too.
_NUMBERED_LINE = re.compile(r"^\d{1,3}[a-z]?\.?\s+(?P<title>[A-Z][^.!?]{3,200})$")
# The link to the item's report, "pdf icon PDF 259 KB": only item titles carry it.
_REPORT_LINK = re.compile(r"(?:^|\s)PDF\s+[\d.]+\s*[KM]B$")
_DATE_LINE = re.compile(rf"^\d{{1,2}}(st|nd|rd|th)?\s+({month_pattern(MONTHS)})\b")
# Words a title leaves in lower case ("Review of the Medium Term Financial Strategy").
_MINOR_WORDS = frozenset("a an and as at by for from in into of on or the to with".split())
# Page furniture that opens an item page but names nothing.
_PAGE_MARKER = re.compile(r"^(Agenda item|Issue - meetings|Agendas, Meetings and Minutes.*)$")
_SECTION_HEADING = re.compile(
    r"^(Minutes:?|RESOLVED\b.*|Resolved\s*[:–-].*|Resolved:?|Decision( number)?:?|Decisions?:?|"
    r"Background:?|Recommendations?:?|Reasons? for (the )?decision:?|Additional documents:?|"
    r"Alternative options considered:?|Declarations? of interest:?|Apologies( for absence)?:?)$"
)
_MIN_SECTION_TOKENS = 48
_MAX_HEADER_TOKENS = 48


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    tokens: int
    starts_item: bool
    starts_section: bool
    is_heading: bool
    in_body: bool


def chunk_document(
    document: Document,
    count_tokens: TokenCounter,
    max_tokens: int,
    overlap_sentences: int = 1,
) -> list[Chunk]:
    """Cut ``document`` into chunks whose embedded text stays within ``max_tokens`` word pieces.

    ``count_tokens`` must count as the embedding model does (special tokens included);
    ``max_tokens`` is the budget for header plus passage.
    """
    header = _fit_header(contextual_header(document.metadata), count_tokens)
    header_tokens = count_tokens([header])[0] if header else count_tokens([""])[0]
    budget = max_tokens - header_tokens
    if budget < 16:
        raise ValueError(f"max_tokens={max_tokens} leaves no room for text after the header of {document.file}")
    units = _units(document.text, count_tokens, budget)
    chunks: list[Chunk] = []
    headings: list[str] = []
    for group in _pack(units, budget, overlap_sentences):
        headings = _heading_path(document.text, group, headings)
        start, end = group[0].start, group[-1].end
        text = document.text[start:end]
        ordinal = len(chunks)
        chunks.append(
            Chunk(
                chunk_id=f"{document.doc_id}:{ordinal:04d}",
                doc_id=document.doc_id,
                ordinal=ordinal,
                start=start,
                end=end,
                text=text,
                heading=" › ".join(headings),
                page=document.page_at(start),
                embed_text=_embed_text(header, text),
            )
        )
    return chunks


def contextual_header(metadata: DocumentMetadata) -> str:
    """A one-line context for embedding and keyword search: council, committee, date, item."""
    parts = [
        metadata.council,
        metadata.committee,
        human_date(metadata.meeting_date),
        metadata.title,
    ]
    return ". ".join(part.strip() for part in parts if part and part.strip())


def _fit_header(header: str, count_tokens: TokenCounter) -> str:
    words = header.split()
    while words and count_tokens([" ".join(words)])[0] > _MAX_HEADER_TOKENS:
        words = words[:-1]
    return " ".join(words)


def _embed_text(header: str, text: str) -> str:
    folded = " ".join(text.split())
    return f"{header}\n{folded}" if header else folded


def _units(text: str, count_tokens: TokenCounter, budget: int) -> list[_Unit]:
    """Sentences of every line, classified, with their token counts (without special tokens)."""
    raw: list[tuple[int, int, bool, bool, bool, bool]] = []
    line_spans = split_lines(text)
    lines = [text[start:end] for start, end in line_spans]
    for number, (line_start, line_end) in enumerate(line_spans):
        line = lines[number]
        previous = lines[number - 1] if number else ""
        following = lines[number + 1] if number + 1 < len(lines) else ""
        starts_item = bool(_ITEM_MARKER.match(line)) or _is_item_title(line, previous, following)
        starts_section = bool(_SECTION_HEADING.match(line))
        heading = starts_item or is_heading(line)
        # Prose or a section of the item ("Minutes:", "RESOLVED ..."): the item's body has begun.
        in_body = starts_section or not heading
        # An item title stays whole: "10. Integrated Education ..." is a heading, not the sentences
        # "10." and "Integrated Education ...".
        sentences = [(line_start, line_end)] if starts_item else split_sentences(text, line_start, line_end)
        for index, (start, end) in enumerate(sentences):
            first = index == 0
            raw.append((start, end, starts_item and first, (starts_section or heading) and first, heading, in_body))
    special = count_tokens([""])[0]
    counts = count_tokens([text[start:end] for start, end, *_ in raw])
    units: list[_Unit] = []
    for (start, end, starts_item, starts_section, heading_line, in_body), tokens in zip(raw, counts, strict=True):
        for piece_start, piece_end, piece_tokens in _split_long(text, start, end, tokens - special, budget, count_tokens):
            units.append(_Unit(piece_start, piece_end, piece_tokens, starts_item, starts_section, heading_line, in_body))
            starts_item = starts_section = False
    return units


def is_heading(line: str) -> bool:
    """Whether a whole line reads as a heading (agenda item, "Minutes:", a short title) not prose."""
    return (
        bool(_ITEM_MARKER.match(line))
        or _is_item_title(line)
        or bool(_SECTION_HEADING.match(line))
        or _looks_like_heading(line)
    )


def _is_item_title(line: str, previous: str = "", following: str = "") -> bool:
    """Whether a numbered line names an agenda item rather than numbering a decision or finding.

    It does when it comes straight after the "Meeting:" line or an item page's marker, when it
    carries (or is followed by) its report's link, when a bare section heading ("Minutes:")
    follows it, or when it reads as a title: capitalised words, no closing punctuation, not a
    date ("15 December 2021").
    """
    match = _NUMBERED_LINE.match(line)
    if not match or len(line) >= 240:
        return False
    if _ITEM_MARKER.match(previous) or _REPORT_LINK.search(line) or _REPORT_LINK.match(following):
        return True
    title = match["title"]
    if title.endswith((";", ":", ",")) or _DATE_LINE.match(line):
        return False
    if _SECTION_HEADING.match(following) and not following.endswith((".", ";")):
        return True
    words = re.findall(r"[^\W\d_][\w'’-]*", title)
    return all(word[0].isupper() for word in words if word.lower() not in _MINOR_WORDS)


def _looks_like_heading(line: str) -> bool:
    """A short capitalised line without closing punctuation: a sub-heading.

    A list item is never one: its marker (a bullet, a bracket, a digit, a lower-case letter) is
    not a capital.
    """
    return (
        len(line) <= 90
        and not line.rstrip().endswith((".", ",", ";", ":", "?", "!"))
        and line[:1].isupper()
        and len(line.split()) <= 12
    )


def _split_long(
    text: str, start: int, end: int, tokens: int, budget: int, count_tokens: TokenCounter
) -> list[tuple[int, int, int]]:
    """A sentence longer than ``budget`` cut between words into pieces that fit; else itself."""
    if tokens <= budget:
        return [(start, end, tokens)]
    words = [(start + m.start(), start + m.end()) for m in re.finditer(r"\S+", text[start:end])]
    special = count_tokens([""])[0]
    word_tokens = [count - special for count in count_tokens([text[s:e] for s, e in words])]
    pieces: list[tuple[int, int, int]] = []
    piece_start, piece_tokens = words[0][0], 0
    previous_end = words[0][1]
    for (word_start, word_end), cost in zip(words, word_tokens, strict=True):
        if piece_tokens and piece_tokens + cost > budget:
            pieces.append((piece_start, previous_end, piece_tokens))
            piece_start, piece_tokens = word_start, 0
        piece_tokens += cost
        previous_end = word_end
    pieces.append((piece_start, previous_end, piece_tokens))
    return pieces


def _pack(units: list[_Unit], budget: int, overlap_sentences: int) -> list[list[_Unit]]:
    groups: list[list[_Unit]] = []
    current: list[_Unit] = []
    used = 0
    for unit in units:
        has_prose = any(not u.is_heading for u in current)
        # Page title lines above the first item stay with it; anything of an item's body does not
        # (a chunk left holding only "RESOLVED: ..." is closed at the next item too).
        has_body = any(u.in_body for u in current)
        boundary = (unit.starts_item and has_body) or (
            has_prose and unit.starts_section and used >= _MIN_SECTION_TOKENS
        )
        if current and (boundary or used + unit.tokens > budget):
            groups.append(current)
            carried = [] if boundary else _overlap(current, unit.tokens, budget, overlap_sentences)
            current, used = carried, sum(u.tokens for u in carried)
        current.append(unit)
        used += unit.tokens
    if current:
        groups.append(current)
    return groups


def _overlap(previous: list[_Unit], incoming_tokens: int, budget: int, overlap_sentences: int) -> list[_Unit]:
    """The last sentences of ``previous`` to repeat, if they are prose and leave room."""
    if overlap_sentences == 0:
        return []
    tail = [unit for unit in previous[-overlap_sentences:] if not unit.is_heading]
    if len(tail) == len(previous) or sum(u.tokens for u in tail) + incoming_tokens > budget // 2:
        return []
    return tail


def _heading_path(text: str, group: list[_Unit], previous: list[str]) -> list[str]:
    """Item title › section, carried over from earlier chunks until a new heading appears."""
    path = list(previous)
    for unit in group:
        if not unit.is_heading:
            continue
        heading = " ".join(text[unit.start : unit.end].split())
        if unit.starts_item:
            path = [] if _PAGE_MARKER.match(heading) else [heading]
        elif not path:
            path = [heading]
        elif len(path) >= 2:
            path = [path[0], heading]
        else:
            path = [*path, heading][-2:]
    return path
