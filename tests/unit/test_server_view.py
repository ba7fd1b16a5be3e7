"""The citation view page, rendered without a server."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from minutes_qa.index.records import Document, DocumentMetadata, PageSpan
from minutes_qa.server.view import CONTENT_SECURITY_POLICY, InvalidSpan, Span, check_span, render_document_view

HOSTILE = (
    "\nMinutes of the Licensing Committee\n\n"
    "The objector wrote <script>alert(1)</script> & asked for [a link](javascript:alert(1)).\n"
    '    Indented "quoted" line with \'single\' quotes.\n'
)


def _document(text: str = HOSTILE, **metadata: str | None) -> Document:
    return Document(
        doc_id="hostile-1234abcd", file="hostile<b>.txt", path="/tmp/hostile.txt", content_hash="0" * 64,
        text=text, metadata=DocumentMetadata(**metadata),
    )


def _text_block(page: str) -> str:
    return page.split('<div class="text">', 1)[1].rsplit("</div>", 1)[0]


def test_cited_span_is_marked_exactly() -> None:
    text = HOSTILE
    start = text.index("The objector")
    end = text.index("& asked")
    page = render_document_view(_document(), Span(start, end))
    marked = re.search(r'<mark id="cited">(.*?)</mark>', page, re.S)
    assert marked is not None
    assert marked.group(1) == "The objector wrote &lt;script&gt;alert(1)&lt;/script&gt; "
    assert page.count("<mark") == 1


def test_text_is_escaped_and_unchanged_apart_from_escaping() -> None:
    page = render_document_view(_document(), None)
    block = _text_block(page)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in block
    assert "&amp; asked" in block
    # Nothing was turned into a link: the Markdown stays literal text.
    assert "[a link](javascript:alert(1))" in block
    assert "<a " not in block
    unescaped = block.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&#x27;", "'").replace("&amp;", "&")
    # Leading newline and indentation kept: the block is a pre-wrap div, not a <pre> that drops them.
    assert unescaped == HOSTILE
    assert "white-space: pre-wrap" in page


def test_only_the_page_own_script_and_no_external_assets() -> None:
    page = render_document_view(_document(url="https://example.org/minutes?a=1&b=2"), Span(1, 5))
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in CONTENT_SECURITY_POLICY
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    assert base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() in CONTENT_SECURITY_POLICY
    assert not re.search(r'(src|href)="(?!#|https://example\.org/)', page)


def test_metadata_and_original_link_shown() -> None:
    doc = _document(
        council="Herefordshire <Council>", committee="Health & Wellbeing Board", meeting_date="2018-02-13",
        item_number="150", title="Improving health", url="https://example.org/minutes?a=1&b=2",
    )
    page = render_document_view(doc, Span(1, 10))
    assert "<dd>Herefordshire &lt;Council&gt;</dd>" in page
    assert "<dd>Health &amp; Wellbeing Board</dd>" in page
    assert "<dd>13 February 2018</dd>" in page
    assert "<dd>Item 150 — Improving health</dd>" in page
    assert "<dd>hostile&lt;b&gt;.txt</dd>" in page
    assert 'href="https://example.org/minutes?a=1&amp;b=2" rel="noopener noreferrer"' in page
    assert "<title>Improving health — minutes-qa</title>" in page
    assert "characters 1–10 of" in page


def test_unknown_metadata_and_non_web_link() -> None:
    page = render_document_view(_document(url="javascript:alert(1)"), None)
    assert "<dd>not recorded</dd>" in page
    assert 'href="javascript' not in page
    assert "javascript:alert(1) (not a web link)" in page
    assert "<mark" not in page
    assert "Whole document" in page


def test_page_of_a_pdf_span() -> None:
    text = "Page one text.\n\nPage two text."
    doc = Document(
        doc_id="pdf-1", file="minutes.pdf", path="/tmp/minutes.pdf", content_hash="0" * 64, text=text,
        pages=(PageSpan(1, 0, 16), PageSpan(2, 16, len(text))),
    )
    page = render_document_view(doc, Span(18, 22))
    assert "<dt>Page</dt><dd>2</dd>" in page
    assert "on page 2" in page


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (5, None, "both start and end"),
        (None, 5, "both start and end"),
        (-1, 5, "negative"),
        (5, 5, "less than end"),
        (6, 5, "less than end"),
        (0, 101, "past the end"),
    ],
)
def test_invalid_spans(start: int | None, end: int | None, message: str) -> None:
    with pytest.raises(InvalidSpan, match=message):
        check_span(100, start, end)


def test_valid_spans() -> None:
    assert check_span(100, None, None) is None
    assert check_span(100, 0, 100) == Span(0, 100)


def _cited(page: str) -> str:
    return re.search(r'<section class="cited".*?</section>', page, re.S).group(0)


def test_the_cited_passage_shows_heading_minute_reference_and_a_copy_button() -> None:
    text = "150 Improving health\n\nMinutes:\n\nThe board agreed the plan.\n"
    doc = Document(
        doc_id="d-1", file="minutes.txt", path="/tmp/minutes.txt", content_hash="0" * 64, text=text,
        metadata=DocumentMetadata(
            council="Herefordshire Council", committee="Health and Wellbeing Board", meeting_date="2018-02-13",
        ),
    )
    start = text.index("The board")
    span = Span(start, start + len("The board agreed the plan."))

    cited = _cited(render_document_view(doc, span, "150 Improving health › Minutes:"))

    reference = "Health and Wellbeing Board, 13 February 2018, minute 150, Herefordshire Council"
    assert "<dt>Heading</dt><dd>150 Improving health › Minutes:</dd>" in cited
    assert "<dt>Minute</dt><dd>150</dd>" in cited
    assert f"<dt>Reference</dt><dd>{reference}</dd>" in cited
    # The same text as the web UI copies for that quote (minutes_qa.text.quotes.reference_text).
    assert f'data-copy="{reference}\n\u201cThe board agreed the plan.\u201d" hidden>Copy reference</button>' in cited
    assert '<span id="copy-status" role="status"></span>' in cited
    assert "<section" not in render_document_view(doc, None, "")  # no citation, nothing to copy


def test_the_cited_block_is_escaped() -> None:
    start = HOSTILE.index("The objector")
    end = HOSTILE.index("& asked")
    page = render_document_view(_document(committee='Board"><script>x</script>'), Span(start, end), "<b>Item</b>")
    cited = _cited(page)

    assert "<script" not in cited and "<b>" not in cited
    assert "<dd>&lt;b&gt;Item&lt;/b&gt;</dd>" in cited
    assert 'data-copy="Board&quot;&gt;&lt;script&gt;x&lt;/script&gt;\n\u201cThe objector wrote &lt;script&gt;' in cited


def test_a_pdf_passage_gives_its_pages() -> None:
    text = "Page one text.\n\nPage two text."
    doc = Document(
        doc_id="pdf-1", file="minutes.pdf", path="/tmp/minutes.pdf", content_hash="0" * 64, text=text,
        metadata=DocumentMetadata(committee="Cabinet"), pages=(PageSpan(1, 0, 16), PageSpan(2, 16, len(text))),
    )
    cited = _cited(render_document_view(doc, Span(5, 22)))

    assert "<dt>Pages</dt><dd>1-2</dd>" in cited
    assert "<dd>Cabinet, pages 1-2</dd>" in cited
