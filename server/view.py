"""The HTML page for checking a citation: a whole minutes document with the cited span marked.

Pure functions, no server needed. Minutes text and metadata are untrusted: every piece is
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

from index.records import Document

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
"""
# Scrolls the citation to just below the sticky header, whatever the header's height; without
# script the #cited fragment and the fixed scroll padding above do nearly as well.
_SCRIPT = (
    'var cited = document.getElementById("cited"); if (cited) { '
    'document.documentElement.style.scrollPaddingTop = (document.querySelector("header").offsetHeight + 16) + "px"; '
    'cited.scrollIntoView({block: "start"}); }'
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


def render_document_view(document: Document, span: Span | None) -> str:
    """The full HTML page for ``document`` (text included) with ``span`` marked as the citation."""
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
    if span is not None and document.pages:
        rows.append(("Page", str(document.page_at(span.start))))
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
