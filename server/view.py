"""The HTML page for checking a citation: a whole minutes document with the cited span marked.

Beside the highlight it shows where the passage sits (the item's heading path, minute number and,
for PDFs, page), its formal reference and a "Copy reference" button that copies the reference and
the highlighted words in the same form as the web UI (``minutes_qa.text.quotes.reference_text``).

Pure functions apart from :func:`cited_heading`, which reads the heading from the index. Minutes text and metadata are untrusted: every piece is
passed through ``html.escape`` before it reaches the page, the original link is only made a
link when it is an http(s) URL, and the page's Content-Security-Policy allows no script or
style but the two inline blocks written here (by hash), so even an escaping mistake could not
run injected script. The page loads nothing from outside (the service runs offline).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import date
from html import escape
from urllib.parse import urlsplit

import numpy as np

from minutes_qa.index.backend import StoreReader
from minutes_qa.index.records import Document
from minutes_qa.rag.references import formal_reference, minute_number
from minutes_qa.text.quotes import reference_text

_STYLE = """
html { scroll-padding-top: 14rem; }
body { font-family: system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fafafa; }
header { position: sticky; top: 0; background: #fff; border-bottom: 1px solid #ccc; padding: 0.75rem 1.5rem; }
h1 { font-size: 1.2rem; margin: 0 0 0.5rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 1rem; margin: 0 0 0.5rem; }
dt { font-weight: 600; }
dd { margin: 0; }
.span { margin: 0; font-size: 0.9rem; color: #444; }
main { padding: 1rem 1.5rem 50vh; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; font-family: Georgia, serif; line-height: 1.5; max-width: 60rem; }
mark { background: #ffe066; }
.cited { margin: 0.25rem 0 0; padding: 0.4rem 0.6rem; border-left: 4px solid #8a6d00; background: #fffbe6; }
.cited dl { margin: 0 0 0.35rem; }
button { font: inherit; font-size: 0.9rem; padding: 0.2rem 0.8rem; border: 1px solid #1b1b1b; border-radius: 4px;
  background: #fff; color: #1b1b1b; cursor: pointer; }
button:focus-visible, a:focus-visible { outline: 3px solid #0b5b6b; outline-offset: 2px; }
#copy-status { margin-left: 0.6rem; font-size: 0.9rem; }
"""
# Scrolls the citation to just below the sticky header, whatever the header's height; without
# script the #cited fragment and the fixed scroll padding above do nearly as well.
# The copy button is hidden until this script shows it: without script it could do nothing. The
# clipboard API needs a secure context (https or localhost); elsewhere a selected textarea does.
_SCRIPT = (
    'var cited = document.getElementById("cited"); if (cited) { '
    'document.documentElement.style.scrollPaddingTop = (document.querySelector("header").offsetHeight + 16) + "px"; '
    'cited.scrollIntoView({block: "start"}); }\n'
    'var copy = document.getElementById("copy-reference"), copied = document.getElementById("copy-status");\n'
    "function copyText(text) {\n"
    "  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);\n"
    '  var scratch = document.createElement("textarea"); scratch.value = text; scratch.setAttribute("readonly", "");\n'
    '  document.body.appendChild(scratch); scratch.select(); var done = document.execCommand("copy"); scratch.remove();\n'
    '  return done ? Promise.resolve() : Promise.reject(new Error("copy refused"));\n'
    "}\n"
    "if (copy) { copy.hidden = false; copy.addEventListener(\"click\", function () {\n"
    '  copyText(copy.getAttribute("data-copy")).then(function () { copied.textContent = "Copied"; },\n'
    '    function () { copied.textContent = "Could not copy: select the text and copy it instead"; }); }); }'
)


def _csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


# Sent with every view page (see the module docstring).
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src {_csp_hash(_STYLE)}; script-src {_csp_hash(_SCRIPT)}; "
    "base-uri 'none'; form-action 'none'"
)


class InvalidSpan(ValueError):
    """A requested span that does not lie inside the document; the message says why."""


@dataclass(frozen=True)
class Span:
    """Character offsets ``[start, end)`` into a document's stored text."""

    start: int
    end: int


def check_span(length: int, start: int | None, end: int | None) -> Span | None:
    """The span ``[start, end)`` of a text of ``length`` characters, or None when neither is given.

    Raises :class:`InvalidSpan` when only one is given or the span is empty or outside the text.
    """
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise InvalidSpan("Give both start and end to highlight a passage, or neither to view the whole document.")
    if start < 0 or end < 0:
        raise InvalidSpan(f"start and end must not be negative (got start={start}, end={end}).")
    if start >= end:
        raise InvalidSpan(f"start must be less than end (got start={start}, end={end}).")
    if end > length:
        raise InvalidSpan(f"The span {start}-{end} runs past the end of the document, which has {length} characters.")
    return Span(start, end)


def cited_heading(reader: StoreReader, doc_id: str, offset: int) -> str:
    """The heading path ("Item title › Minutes:") of the passage of ``doc_id`` holding ``offset``.

    Empty when no stored passage holds it (headings are the chunker's, so only the index knows them).
    """
    chunks = reader.chunks
    try:
        position = chunks.doc_ids.index(doc_id)
    except ValueError:
        return ""
    rows = np.flatnonzero((chunks.document == position) & (chunks.start <= offset) & (chunks.end > offset))
    if not len(rows):
        return ""
    # Overlapping passages may both hold it: the earliest one starts the item it belongs to.
    first = int(rows[np.argmin(chunks.ordinal[rows])])
    return chunks[first].heading


def render_document_view(document: Document, span: Span | None, heading: str = "") -> str:
    """The full HTML page for ``document`` (text included) with ``span`` marked as the citation.

    ``heading`` is the cited passage's heading path (:func:`cited_heading`), shown beside it.
    """
    metadata = document.metadata
    title = metadata.title or document.file
    item = " — ".join(part for part in (f"Item {metadata.item_number}" if metadata.item_number else None, metadata.title) if part)
    rows = [
        ("Council", metadata.council),
        ("Committee", metadata.committee),
        ("Meeting date", _pretty_date(metadata.meeting_date)),
        ("Item", item or None),
        ("File", document.file),
    ]
    details = "\n".join(f"<dt>{escape(label)}</dt><dd>{escape(value or 'not recorded')}</dd>" for label, value in rows)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} — minutes-qa</title>
<style>{_STYLE}</style>
</head>
<body>
<header>
<h1>{escape(title)}</h1>
<dl>
{details}
</dl>
<p class="span">{_original_link(metadata.url)}</p>
<p class="span">{_span_note(document, span)}</p>
{_cited_block(document, span, heading)}
</header>
<main>
<div class="text">{_marked_text(document.text, span)}</div>
</main>
<script>{_SCRIPT}</script>
</body>
</html>
"""


def _marked_text(text: str, span: Span | None) -> str:
    if span is None:
        return escape(text)
    before, cited, after = text[: span.start], text[span.start : span.end], text[span.end :]
    return f'{escape(before)}<mark id="cited">{escape(cited)}</mark>{escape(after)}'


def _span_note(document: Document, span: Span | None) -> str:
    if span is None:
        return f"Whole document, {len(document.text):,} characters."
    page = document.page_at(span.start) if document.pages else None
    where = f" on page {page}" if page is not None else ""
    return (
        f'<a href="#cited">Cited passage</a>: characters {span.start:,}–{span.end:,}{where} '
        f"of {len(document.text):,}, highlighted below."
    )


def _cited_block(document: Document, span: Span | None, heading: str) -> str:
    """Where the cited passage sits, its formal reference, and the button that copies both."""
    if span is None:
        return ""
    metadata = document.metadata
    first_page = document.page_at(span.start) if document.pages else None
    last_page = document.page_at(span.end - 1) if document.pages else None
    reference = formal_reference(metadata, heading, first_page, last_page, document.file)
    pages = None
    if first_page is not None:
        pages = str(first_page) if last_page in (None, first_page) else f"{first_page}-{last_page}"
    rows = [
        ("Heading", " ".join(heading.split()) or None),
        ("Minute", minute_number(heading, metadata.item_number)),
        ("Page" if pages is None or "-" not in pages else "Pages", pages),
        ("Reference", reference),
    ]
    details = "\n".join(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>" for label, value in rows if value)
    copy = reference_text(reference, [document.text[span.start : span.end]])
    return (
        f'<section class="cited" aria-label="The cited passage">\n<dl>\n{details}\n</dl>\n'
        f'<button type="button" id="copy-reference" data-copy="{escape(copy, quote=True)}" hidden>'
        'Copy reference</button><span id="copy-status" role="status"></span>\n</section>'
    )


def _original_link(url: str | None) -> str:
    if not url:
        return "Original minutes: no link recorded."
    # Only web links become links: a javascript: or data: URL from a sidecar must not be clickable.
    if urlsplit(url).scheme.lower() in ("http", "https"):
        return f'Original minutes: <a href="{escape(url, quote=True)}" rel="noopener noreferrer">{escape(url)}</a>'
    return f"Original minutes: {escape(url)} (not a web link)"


def _pretty_date(value: str | None) -> str | None:
    """``2018-02-13`` as ``13 February 2018``; anything unparseable is shown as stored."""
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        return value
    return f"{parsed.day} {parsed:%B %Y}"
