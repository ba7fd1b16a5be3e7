"""Turn a minutes file (plain text, a saved web page or a PDF) into the text the index stores.

Plain text is stored exactly as written apart from line endings, so that quotations taken
from the file stay exact substrings of the stored text. Web pages and PDFs are reduced to
paragraphs separated by blank lines. Every failure is an ``UnreadableFile`` whose reason
tells the person running the ingest what to do about it.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError
from selectolax.lexbor import LexborHTMLParser, LexborNode

from .errors import UnreadableFile
from .pdf_text import Line, compose_pages, join_pages, page_lines
from .records import PageSpan, ReadDocument

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".text", ".html", ".htm", ".pdf"})

_CP1252_WARNING = "not valid UTF-8; read as Windows-1252"
_BINARY_REASON = "looks like a binary file{kind}, not text; was it renamed?"
_EMPTY_REASON = "the file is empty"

# Signatures of the files most often renamed to .txt by mistake, to name them in the error.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF"),
    (b"PK\x03\x04", "a Word/Excel document or ZIP archive"),
    (b"\xd0\xcf\x11\xe0", "an old-style Word/Excel document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
)
# Share of control characters above which decoded "text" is really binary data.
_MAX_CONTROL_SHARE = 0.05


def read_file(path: Path) -> ReadDocument:
    """Read one minutes file into its stored text, dispatching on the file's suffix.

    Raises ``UnreadableFile`` for an unsupported suffix, a missing or unreadable file, an
    empty file, binary data in a text file, a damaged or password-protected PDF, a PDF
    without a text layer, or a web page with no text.
    """
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        shown = f"'{path.suffix}'" if path.suffix else "(no suffix)"
        raise UnreadableFile(
            path,
            f"unsupported file type {shown}; supported types are {supported}. "
            "Save or export the document as PDF, HTML or plain text.",
        )
    data = _read_bytes(path)
    if not data.strip():
        raise UnreadableFile(path, _EMPTY_REASON)
    return reader(path, data)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as error:
        raise UnreadableFile(path, "the file does not exist") from error
    except IsADirectoryError as error:
        raise UnreadableFile(path, "this is a folder, not a file") from error
    except PermissionError as error:
        raise UnreadableFile(path, "permission denied; check who may read the file") from error
    except OSError as error:
        raise UnreadableFile(path, f"the file could not be read: {error.strerror or error}") from error


# --- plain text ---------------------------------------------------------------------------


def read_text(path: Path, data: bytes) -> ReadDocument:
    """Plain text, unchanged except that ``\\r\\n`` and ``\\r`` line endings become ``\\n``."""
    text, warnings = _decode(path, data)
    if not text.strip():
        raise UnreadableFile(path, _EMPTY_REASON)
    return ReadDocument(text=_normalise_line_endings(text), warnings=warnings)


def _decode(path: Path, data: bytes) -> tuple[str, tuple[str, ...]]:
    """Decode text bytes: UTF-16 if it has a BOM (Notepad's "Unicode"), else UTF-8, else
    Windows-1252 with a warning; refuse anything that is really binary data."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _checked_text(path, data.decode("utf-16"), data), ()
        except UnicodeDecodeError as error:
            raise UnreadableFile(path, _binary_reason(data)) from error
    if b"\x00" in data or any(data.startswith(magic) for magic, _ in _SIGNATURES):
        raise UnreadableFile(path, _binary_reason(data))
    warnings: tuple[str, ...]
    try:
        text, warnings = data.decode("utf-8-sig"), ()
    except UnicodeDecodeError:
        # Not UTF-8: older Windows tools save Windows-1252.
        text, warnings = _decode_cp1252(path, data), (_CP1252_WARNING,)
    return _checked_text(path, text, data), warnings


def _decode_cp1252(path: Path, data: bytes) -> str:
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        # Windows-1252 leaves five byte values undefined; real text never contains them.
        raise UnreadableFile(path, _binary_reason(data)) from error


def _checked_text(path: Path, text: str, data: bytes) -> str:
    """``text`` unless control characters show it is binary data decoded by chance."""
    controls = sum(
        1 for char in text if unicodedata.category(char) == "Cc" and char not in "\t\n\r\f\v"
    )
    if text and controls / len(text) > _MAX_CONTROL_SHARE:
        raise UnreadableFile(path, _binary_reason(data))
    return text


def _binary_reason(data: bytes) -> str:
    kind = next((f" ({name})" for magic, name in _SIGNATURES if data.startswith(magic)), "")
    return _BINARY_REASON.format(kind=kind)


def _normalise_line_endings(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- web pages ----------------------------------------------------------------------------

# Elements that never hold minutes text.
_NOISE_TAGS = frozenset(
    {"script", "style", "noscript", "nav", "form", "iframe", "svg", "template", "object",
     "embed", "button", "select", "input", "textarea", "head", "title", "meta", "link"}
)
# Site banner and footer; inside a main/article container they are the item's own header.
_PAGE_FRAME_TAGS = frozenset({"header", "footer"})
_NOISE_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "menu", "menubar"})
# id/class fragments (lower-cased, "-" and "_" removed) that mark page furniture ...
_NOISE_FRAGMENTS = (
    "breadcrumb", "cookie", "consent", "gdpr", "sidebar", "navigation", "navbar", "skiplink",
    "skipto", "skipnav", "menu", "searchbox", "searchform", "sitesearch",
)
# ... and whole words (split on "-", "_" and camelCase) too short to match as fragments:
# "nav" must not hit "canvas", nor "search" hit "research".
_NOISE_WORDS = frozenset({"nav", "navs", "search", "skip"})
_SKIP_LINK = re.compile(r"^\s*skip\s+(to|navigation|nav)\b", re.IGNORECASE)
# Most specific first. ModernGov wraps its own part of a council's page (page heading such
# as "Issue - meetings" included) in #modgov, its body text in #mgContent/.mgContent.
_CONTENT_SELECTORS = ("#modgov", "#mgContent", ".mgContent", "main", "[role=main]", "article")
_CONTENT_MARKERS = "h1, " + ", ".join(_CONTENT_SELECTORS)
_BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "caption", "center", "dd", "details", "dialog",
     "div", "dl", "dt", "fieldset", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6",
     "hgroup", "hr", "legend", "li", "main", "p", "pre", "section", "summary", "td", "th", "tr",
     "tbody", "thead", "tfoot"}
)
# A cell holding any of these is page layout, not data: its content is read as paragraphs.
_LAYOUT_CELL_CONTENT = "p, div, h1, h2, h3, h4, h5, h6, ul, ol, table, blockquote, section, article"
_BULLET = "• "


def read_html(path: Path, data: bytes) -> ReadDocument:
    """A saved web page: the main content's headings, paragraphs, list items ("• ") and
    table rows (cells joined by " | "), one block per blank-line-separated paragraph."""
    html, warnings = _decode(path, data)
    tree = LexborHTMLParser(html)
    for root in _content_roots(tree):
        text = "\n\n".join(_page_blocks(root, frame_is_site=root.tag in ("body", "html")))
        if text:
            return ReadDocument(text=text, warnings=warnings)
    raise UnreadableFile(
        path, "the web page has no readable text once menus, scripts and navigation are removed"
    )


def _content_roots(tree: LexborHTMLParser) -> list[LexborNode]:
    """The main-content containers to try, most specific first, then the whole page."""
    roots = [node for selector in _CONTENT_SELECTORS if (node := tree.css_first(selector)) is not None]
    roots.extend(node for node in (tree.body, tree.root) if node is not None)
    return roots


def _page_blocks(root: LexborNode, frame_is_site: bool) -> list[str]:
    builder = _BlockBuilder(total_chars=len(root.text(strip=True)), frame_is_site=frame_is_site)
    builder.walk(root)
    builder.flush()
    return builder.blocks


class _BlockBuilder:
    """Walks a DOM subtree, collecting text blocks; inline text accumulates until a block ends."""

    def __init__(self, total_chars: int, frame_is_site: bool) -> None:
        self.blocks: list[str] = []
        self._inline: list[str] = []
        self._total_chars = total_chars
        self._frame_is_site = frame_is_site

    def _sub_builder(self) -> _BlockBuilder:
        return _BlockBuilder(self._total_chars, self._frame_is_site)

    def walk(self, node: LexborNode) -> None:
        for child in node.iter(include_text=True):
            if child.is_text_node:
                # Source line breaks are ordinary whitespace; only <br> (below) breaks a line.
                self._inline.append(re.sub(r"\s+", " ", child.text(deep=False)))
            elif child.is_element_node and not self._is_noise(child):
                self._element(child)

    def flush(self) -> None:
        block = _clean_block("".join(self._inline))
        self._inline.clear()
        if block:
            self.blocks.append(block)

    def _element(self, node: LexborNode) -> None:
        tag = node.tag
        if tag == "br":
            self._inline.append("\n")
        elif tag in ("ul", "ol"):
            self.flush()
            self._add_lines(self._list_lines(node))
        elif tag == "table":
            self.flush()
            self._table(node)
        elif tag in _BLOCK_TAGS:
            self.flush()
            self.walk(node)
            self.flush()
        else:
            self.walk(node)

    def _add_lines(self, lines: list[str]) -> None:
        if lines:
            self.blocks.append("\n".join(lines))

    def _list_lines(self, node: LexborNode) -> list[str]:
        lines: list[str] = []
        for item in node.iter():
            if self._is_noise(item):
                continue
            inner = self._sub_builder()
            inner.walk(item)
            inner.flush()
            item_lines = "\n".join(inner.blocks).split("\n")
            if item_lines and item_lines[0] and not item_lines[0].startswith(_BULLET):
                item_lines[0] = _BULLET + item_lines[0]
            lines.extend(line for line in item_lines if line)
        return lines

    def _table(self, table: LexborNode) -> None:
        rows: list[str] = []
        for row in _table_rows(table):
            cells = [cell for cell in row.iter() if cell.tag in ("td", "th")]
            cells = [cell for cell in cells if not self._is_noise(cell)]
            if any(cell.css_first(_LAYOUT_CELL_CONTENT) is not None for cell in cells):
                # A layout table: read each cell's paragraphs as blocks in page order.
                self._add_lines(rows)
                rows = []
                for cell in cells:
                    self.walk(cell)
                    self.flush()
                continue
            texts = [text for cell in cells if (text := re.sub(r"\s+", " ", cell.text()).strip())]
            if texts:
                rows.append(" | ".join(texts))
        self._add_lines(rows)

    def _is_noise(self, node: LexborNode) -> bool:
        tag = node.tag
        if tag in _NOISE_TAGS or (tag in _PAGE_FRAME_TAGS and self._frame_is_site):
            return True
        attributes = node.attributes
        if "hidden" in attributes or attributes.get("aria-hidden") == "true":
            return True
        if (attributes.get("role") or "").lower() in _NOISE_ROLES:
            return True
        if tag == "a" and _SKIP_LINK.match(node.text()):
            return True
        if not _marks_furniture(f"{attributes.get('id') or ''} {attributes.get('class') or ''}"):
            return False
        # A wrapper holding the page heading, the content container or most of the text is
        # the content, whatever its class says (e.g. <div class="page has-sidebar">).
        if node.css_first(_CONTENT_MARKERS) is not None:
            return False
        return len(node.text(strip=True)) <= self._total_chars / 2


def _marks_furniture(names: str) -> bool:
    for name in names.split():
        squashed = name.lower().replace("-", "").replace("_", "")
        if any(fragment in squashed for fragment in _NOISE_FRAGMENTS):
            return True
        words = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", name)
        if any(word.lower() in _NOISE_WORDS for word in words):
            return True
    return False


def _table_rows(table: LexborNode) -> list[LexborNode]:
    """The table's own rows, not those of tables nested in its cells."""
    rows: list[LexborNode] = []
    for child in table.iter():
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in ("thead", "tbody", "tfoot"):
            rows.extend(row for row in child.iter() if row.tag == "tr")
    return rows


def _clean_block(raw: str) -> str:
    """Collapse whitespace runs within each line to one space and drop empty lines."""
    lines = (re.sub(r"\s+", " ", line).strip() for line in raw.split("\n"))
    return "\n".join(line for line in lines if line)


# --- PDF ----------------------------------------------------------------------------------


def read_pdf(path: Path, data: bytes) -> ReadDocument:
    """A PDF's text layer as paragraphs (see ``pdf_text``), with a ``PageSpan`` per page
    locating it in the stored text; pages are separated by a blank line unless a paragraph
    runs on over the page break. Problems pypdf repaired while reading are returned as
    warnings."""
    if b"%PDF-" not in data[:1024]:
        raise UnreadableFile(
            path, "this is not a PDF (it lacks the %PDF header); check the file or its suffix"
        )
    with _pypdf_warnings() as repairs:
        pages = _pdf_page_lines(path, data)
    text, spans = join_pages(compose_pages(pages))
    if not text.strip():
        raise UnreadableFile(
            path, "the PDF has no extractable text; it may be a scanned image: run OCR first"
        )
    warnings = tuple(f"PDF problem worked around while reading: {message}" for message in repairs)
    return ReadDocument(
        text=text,
        pages=tuple(PageSpan(page=number, start=start, end=end) for number, (start, end) in enumerate(spans, start=1)),
        warnings=warnings,
    )


def _pdf_page_lines(path: Path, data: bytes) -> list[list[Line]]:
    try:
        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableFile(
                path,
                "the PDF is password-protected; remove the password (save an unprotected copy) "
                "and ingest that copy",
            )
        if not reader.pages:
            raise UnreadableFile(path, "the PDF has no pages; re-save or re-export it")
        return [page_lines(page) for page in reader.pages]
    except DependencyError as error:
        raise UnreadableFile(
            path,
            f"the PDF is encrypted and cannot be decrypted here ({error}); save an unprotected "
            "copy and ingest that",
        ) from error
    except FileNotDecryptedError as error:
        raise UnreadableFile(
            path, "the PDF is encrypted and cannot be opened; remove the password and re-save it"
        ) from error
    except UnreadableFile:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError,
            AssertionError, RecursionError, NotImplementedError) as error:
        # pypdf reports damage with many exception types, not only its own: any of them
        # means the file is corrupt.
        raise UnreadableFile(
            path,
            f"the PDF is damaged and cannot be read ({error}); open it and re-save or "
            "re-export it as PDF",
        ) from error


@contextmanager
def _pypdf_warnings() -> Iterator[list[str]]:
    """Collect what pypdf logs about damage it repaired, so the ingest can report it."""
    messages: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    logger = logging.getLogger("pypdf")
    handler = _Collect(level=logging.WARNING)
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


_READERS: dict[str, Callable[[Path, bytes], ReadDocument]] = {
    ".txt": read_text,
    ".text": read_text,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": read_pdf,
}
