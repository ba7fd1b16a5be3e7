"""Formal references to a cited passage, as democratic-services staff write them in reports.

"Health and Wellbeing Board, 13 February 2018, minute 150, Herefordshire Council" (and ", page 3"
for a PDF). Pure functions over what the index stores: the document's metadata and the chunk's
heading path. A part that is not known is left out, never guessed.
"""

from __future__ import annotations

import re

from minutes_qa.index.records import DocumentMetadata
from minutes_qa.text.dates import human_date

# The chunker joins a heading path with this ("Item title › Minutes:").
_PATH_SEPARATOR = " › "
# ModernGov's "Meeting: 13/02/2018 - Health and Wellbeing Board (Item 150)".
_ITEM_IN_BRACKETS = re.compile(r"\(Item\s+(?P<item>[^)]+?)\.?\)", re.IGNORECASE)
# An item title opening with its number: "150 Improving health ... pdf icon PDF 259 KB", "10. Title".
# A bare "2." is left alone: numbered decisions ("2.  That the contract ...") head chunks too.
_NUMBERED_TITLE = re.compile(r"^(?P<item>\d{1,4}[A-Za-z]?)\.?\s+[A-Za-z]")


def minute_number(heading: str, document_item: str | None) -> str | None:
    """The minute (agenda item) number of a passage.

    The item its heading path opens with ("150 Title", "Meeting: ... (Item 150)") wins over the
    document's own, as a page of whole-meeting minutes holds many items; without one, the
    document's item number (from its ModernGov heading), if any.
    """
    first = heading.split(_PATH_SEPARATOR, 1)[0].strip()
    bracketed = _ITEM_IN_BRACKETS.search(first)
    if bracketed:
        return bracketed["item"].strip()
    numbered = _NUMBERED_TITLE.match(first)
    if numbered:
        return numbered["item"]
    return document_item.strip() if document_item and document_item.strip() else None


def formal_reference(
    metadata: DocumentMetadata,
    heading: str = "",
    first_page: int | None = None,
    last_page: int | None = None,
    file: str | None = None,
) -> str:
    """'Committee, 13 February 2018, minute 150, Council[, page 3]' from what is known.

    When neither committee, date nor minute number is known, the document's title (or failing
    that its file name) opens the reference, so that it still points somewhere. Pages are given
    for PDFs: 'page 3', or 'pages 3-4' for a passage that runs over a page break.
    """
    council = _clean(metadata.council)
    committee = _clean(metadata.committee)
    meeting = [
        committee,
        human_date(metadata.meeting_date),
        _minute(minute_number(heading, metadata.item_number)),
    ]
    parts = [part for part in meeting if part]
    if not parts:
        parts = [part for part in (_clean(metadata.title) or _clean(file),) if part]
    # "Kent County Council, ..., Kent County Council" says nothing twice.
    if council and council != committee:
        parts.append(council)
    pages = _pages(first_page, last_page)
    if pages:
        parts.append(pages)
    return ", ".join(parts)


def _minute(number: str | None) -> str | None:
    return f"minute {number}" if number else None


def _pages(first: int | None, last: int | None) -> str | None:
    if first is None:
        return None
    if last is None or last == first:
        return f"page {first}"
    return f"pages {first}-{last}"


def _clean(value: str | None) -> str | None:
    folded = " ".join(value.split()) if value else ""
    return folded or None
