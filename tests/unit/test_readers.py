"""Readers: real files of each format, each kind of unreadable file, and the exact-text
guarantee over the shared corpus."""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest
from fpdf import FPDF
from fpdf.enums import EncryptionMethod
from pypdf import PdfReader

from minutes_qa.index.errors import UnreadableFile
from minutes_qa.index.readers import SUPPORTED_SUFFIXES, read_file
from minutes_qa.index.records import Document
from minutes_qa.text.sentences import split_sentences
from support import REPO, SHARED_CORPUS

CORPUS = REPO.parent / "shared" / "corpus"
CORPUS_FILES = sorted(CORPUS.glob("seeds/*.txt")) + sorted(CORPUS.glob("dev/*.txt"))

PAGE_ONE = "Apologies were received from Councillor Baker."
PAGE_TWO = "The Cabinet approved the revised budget of 4.2 million pounds."

MODERNGOV_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <title>Issue - meetings - Herefordshire Council</title>
  <style>.mgContent { color: black; }</style>
  <script>window.analytics = "tracking code";</script>
</head>
<body class="page has-sidebar">
  <a class="skip-link" href="#content">Skip to main content</a>
  <div id="cookie-banner">We use cookies to improve the site. <button>Accept all</button></div>
  <header><div class="site-logo">Council website header</div></header>
  <nav><ul><li>Home</li><li>Your council</li></ul></nav>
  <div class="mgBreadCrumbs">Home &gt; Meetings &gt; Issue</div>
  <div id="mgContent" class="mgContent">
    <h1 class="mgMainTitleTxt">Issue - meetings</h1>
    <h2>Health &amp; wellbeing update</h2>
    <p>Meeting: 13/02/2018 - Health and Wellbeing Board (Item 150)</p>
    <p>The director   presented
       the&nbsp;paper.<br>It was noted with thanks.</p>
    <p>&nbsp;</p>
    <ul>
      <li>Prevention was <strong>key</strong></li>
      <li>Funding would reduce</li>
    </ul>
    <table>
      <tr><th>Member</th><th>Role</th></tr>
      <tr><td>Cllr Baker</td><td>Chair</td></tr>
    </table>
    <div class="mgSideBar"><h3>Related links</h3><p>Committee details</p></div>
    <div class="research-summary"><p>Research on health outcomes was noted.</p></div>
  </div>
  <footer>Copyright and site footer</footer>
  <noscript>Enable JavaScript</noscript>
</body>
</html>
"""


def _pdf(path: Path, pages: list[str], **encryption: object) -> Path:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 10, text)
    if encryption:
        pdf.set_encryption(**encryption)
    pdf.output(str(path))
    return path


def _reason(path: Path) -> str:
    with pytest.raises(UnreadableFile) as caught:
        read_file(path)
    assert caught.value.path == path
    return caught.value.reason


# --- plain text -------------------------------------------------------------------------


def test_supported_suffixes() -> None:
    assert frozenset({".txt", ".text", ".html", ".htm", ".pdf"}) == SUPPORTED_SUFFIXES


def test_text_is_kept_exactly_except_line_endings(tmp_path: Path) -> None:
    raw = "Minutes:\r\n\r\n\u00a0\r\nThe Board  noted\tthe report.\rResolved – agreed.  \n"
    path = tmp_path / "minutes.TXT"
    path.write_bytes(raw.encode("utf-8"))
    document = read_file(path)
    assert document.text == "Minutes:\n\n\u00a0\nThe Board  noted\tthe report.\nResolved – agreed.  \n"
    assert document.pages == ()
    assert document.warnings == ()


def test_utf8_byte_order_mark_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "bom.text"
    path.write_bytes("\ufeffAgenda item\n".encode("utf-8"))
    assert read_file(path).text == "Agenda item\n"


def test_windows_1252_text_is_read_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes("Budget of £4m – the Council’s café\r\n".encode("cp1252"))
    document = read_file(path)
    assert document.text == "Budget of £4m – the Council’s café\n"
    assert document.warnings == ("not valid UTF-8; read as Windows-1252",)


@pytest.mark.parametrize("content", [b"", b"   \r\n\t\n", "\ufeff\u00a0\n".encode("utf-8")])
def test_empty_text_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    assert _reason(path) == "the file is empty"


def test_binary_file_renamed_txt_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(bytes(range(256)) * 8)
    assert "looks like a binary file, not text; was it renamed?" in _reason(path)


def test_pdf_renamed_txt_is_named_as_a_pdf(tmp_path: Path) -> None:
    path = tmp_path / "minutes.txt"
    path.write_bytes(_pdf(tmp_path / "real.pdf", [PAGE_ONE]).read_bytes())
    reason = _reason(path)
    assert "looks like a binary file" in reason and "PDF" in reason and "renamed" in reason


def test_unsupported_suffix_lists_the_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "minutes.docx"
    path.write_bytes(b"PK\x03\x04 not read")
    reason = _reason(path)
    assert "'.docx'" in reason
    assert all(suffix in reason for suffix in SUPPORTED_SUFFIXES)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    assert _reason(tmp_path / "absent.txt") == "the file does not exist"


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "minutes.txt"
    folder.mkdir()
    assert "folder" in _reason(folder)


# --- web pages --------------------------------------------------------------------------


@pytest.fixture()
def moderngov_text(tmp_path: Path) -> str:
    path = tmp_path / "issue.htm"
    path.write_text(MODERNGOV_PAGE, encoding="utf-8")
    document = read_file(path)
    assert document.pages == () and document.warnings == ()
    return document.text


def test_html_keeps_headings_paragraphs_lists_and_tables_as_blocks(moderngov_text: str) -> None:
    assert moderngov_text.split("\n\n") == [
        "Issue - meetings",
        "Health & wellbeing update",
        "Meeting: 13/02/2018 - Health and Wellbeing Board (Item 150)",
        "The director presented the paper.\nIt was noted with thanks.",
        "• Prevention was key\n• Funding would reduce",
        "Member | Role\nCllr Baker | Chair",
        "Research on health outcomes was noted.",
    ]


@pytest.mark.parametrize(
    "dropped",
    ["tracking code", "color: black", "Skip to main content", "cookies", "Accept all",
     "Council website header", "Your council", "Home >", "Related links", "Committee details",
     "site footer", "Enable JavaScript", "Herefordshire Council"],
)
def test_html_drops_page_furniture(moderngov_text: str, dropped: str) -> None:
    assert dropped not in moderngov_text


def test_html_without_a_content_container_reads_the_body(tmp_path: Path) -> None:
    path = tmp_path / "plain.html"
    path.write_text(
        "<html><body><header>Site banner</header>"
        "<div id='breadcrumb'>Home</div><div class='nav-menu'>Menu</div>"
        "<div id='search-box'>Search this site</div>"
        "<div class='wrapper has-sidebar'><h1>Minutes</h1><p>The minutes were agreed.</p>"
        "<aside class='sidebar'>More links</aside></div>"
        "<footer>Footer</footer></body></html>",
        encoding="utf-8",
    )
    assert read_file(path).text == "Minutes\n\nThe minutes were agreed."


def test_html_layout_table_cells_are_read_as_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "agenda.html"
    path.write_text(
        "<main><table><tr><td>1.</td><td><p>Apologies</p><p>None were received.</p></td></tr>"
        "</table></main>",
        encoding="utf-8",
    )
    assert read_file(path).text == "1.\n\nApologies\n\nNone were received."


def test_html_with_only_furniture_has_no_text(tmp_path: Path) -> None:
    path = tmp_path / "blank.html"
    path.write_text("<html><body><nav>Home</nav><script>x()</script><p> &nbsp; </p></body></html>",
                    encoding="utf-8")
    assert "no readable text" in _reason(path)


# --- PDF --------------------------------------------------------------------------------


def test_pdf_pages_are_joined_and_located(tmp_path: Path) -> None:
    path = _pdf(tmp_path / "minutes.pdf", [PAGE_ONE, PAGE_TWO, ""])
    document = read_file(path)
    assert [span.page for span in document.pages] == [1, 2, 3]
    first, second, third = document.pages
    assert document.text[first.start : first.end].strip() == PAGE_ONE
    assert document.text[second.start : second.end].strip() == PAGE_TWO
    assert document.text[first.end : second.start] == "\n\n"
    assert third.start == third.end == len(document.text)
    assert document.warnings == ()


def test_pdf_text_of_page_two_maps_to_page_two(tmp_path: Path) -> None:
    read = read_file(_pdf(tmp_path / "minutes.pdf", [PAGE_ONE, PAGE_TWO]))
    document = Document(doc_id="d", file="minutes.pdf", path="", content_hash="", text=read.text,
                        pages=read.pages)
    assert document.page_at(read.text.index("revised budget")) == 2
    assert document.page_at(read.text.index("Councillor Baker")) == 1


def test_pdf_damage_that_pypdf_repairs_is_a_warning(tmp_path: Path) -> None:
    good = _pdf(tmp_path / "good.pdf", [PAGE_ONE]).read_bytes()
    path = tmp_path / "bad-xref.pdf"
    path.write_bytes(re.sub(rb"startxref\n(\d+)", lambda m: b"startxref\n" + str(int(m[1]) + 7).encode(), good))
    document = read_file(path)
    assert PAGE_ONE in document.text
    assert document.warnings and all("PDF problem" in warning for warning in document.warnings)


def test_pdf_without_text_layer_needs_ocr(tmp_path: Path) -> None:
    path = _pdf(tmp_path / "scan.pdf", ["", ""])
    assert "no extractable text; it may be a scanned image: run OCR first" in _reason(path)


def test_corrupt_pdf_is_refused_with_its_cause(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(_pdf(tmp_path / "good.pdf", [PAGE_ONE]).read_bytes()[:400])
    with pytest.raises(UnreadableFile) as caught:
        read_file(path)
    assert "damaged" in caught.value.reason and "re-save" in caught.value.reason
    assert caught.value.__cause__ is not None


def test_text_file_named_pdf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.pdf"
    path.write_text("Just some notes, not a PDF.", encoding="utf-8")
    assert "not a PDF" in _reason(path)


def test_password_protected_pdf_is_refused(tmp_path: Path) -> None:
    path = _pdf(tmp_path / "locked.pdf", [PAGE_ONE], owner_password="owner", user_password="secret",
                encryption_method=EncryptionMethod.RC4)
    reason = _reason(path)
    assert "password" in reason and "remove the password" in reason


def test_pdf_with_only_an_owner_password_is_read(tmp_path: Path) -> None:
    path = _pdf(tmp_path / "restricted.pdf", [PAGE_ONE], owner_password="owner",
                encryption_method=EncryptionMethod.RC4)
    assert read_file(path).text.strip() == PAGE_ONE


def test_empty_pdf_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    assert _reason(path) == "the file is empty"


# --- the shared corpus --------------------------------------------------------------------


def test_corpus_is_present() -> None:
    assert len(CORPUS_FILES) == 175, f"expected the shared corpus at {CORPUS}"


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: path.name)
def test_corpus_text_is_stored_exactly(path: Path) -> None:
    raw = path.read_bytes().decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    document = read_file(path)
    assert document.text == raw
    assert document.warnings == ()


# --- the real PDFs ------------------------------------------------------------------------

# Absent, the count check below fails (the loops over PDF_FILES alone would pass on nothing).
PDF_CORPUS = SHARED_CORPUS / "pdf"
PDF_FILES = sorted(PDF_CORPUS.glob("*.pdf"))
# A phrase cut at a line end: a line ending in a lower-case word (or a comma) followed by a
# line starting with a lower-case word that is not a list marker ("a.", "iv) ").
_ENDS_LOWER = re.compile(r"(\b[a-z][a-z'’]*|,)$")
_STARTS_LOWER = re.compile(r"^[a-z]")
_LIST_MARKER = re.compile(r"^\(?([a-z]|[ivx]{1,5})[.)](\s|$)")
# Running headers and footers of the corpus (README.md), as the old reader stored them.
_RUNNING = {
    "p01": "HERTINGFORDBURY PARISH COUNCIL",
    "p02": "HERTINGFORDBURY PARISH COUNCIL",
    "p03": "Signed _______________________________ Dated",
    "p08": "BCC Minute",
}


@pytest.fixture(scope="module")
def real_pdfs() -> dict[str, Document]:
    documents = {}
    for path in PDF_FILES:
        read = read_file(path)
        documents[path.name[:3]] = Document(doc_id=path.stem, file=path.name, path=str(path),
                                            content_hash="", text=read.text, pages=read.pages)
    return documents


def _cut_mid_phrase(first: str, second: str) -> bool:
    return bool(_ENDS_LOWER.search(first) and _STARTS_LOWER.match(second) and not _LIST_MARKER.match(second))


def test_pdf_corpus_has_all_eleven_files() -> None:
    assert len(PDF_FILES) == 11


def test_real_pdf_lines_do_not_end_mid_phrase(real_pdfs: dict[str, Document]) -> None:
    for name, document in real_pdfs.items():
        lines = [line for line in document.text.split("\n") if line.strip()]
        cut = [(first, second) for first, second in pairwise(lines)
               if " | " not in first + second and _cut_mid_phrase(first, second)]
        assert not cut, f"{name}: lines cut mid-phrase: {cut[:3]}"


def test_real_pdf_sentences_are_whole(real_pdfs: dict[str, Document]) -> None:
    # No exceptions were needed: every sentence boundary split_sentences finds falls after
    # terminal punctuation, a heading, a list item or a table row.
    for name, document in real_pdfs.items():
        sentences = [document.text[start:end] for start, end in split_sentences(document.text)]
        cut = [(first, second) for first, second in pairwise(sentences) if _cut_mid_phrase(first, second)]
        assert not cut, f"{name}: sentences cut mid-phrase: {cut[:3]}"


def test_real_pdf_running_headers_and_footers_are_dropped(real_pdfs: dict[str, Document]) -> None:
    for name, header in _RUNNING.items():
        assert real_pdfs[name].text.count(header) <= 1, f"{name}: '{header}' still repeated"
    for name, document in real_pdfs.items():
        lines = [line.strip() for line in document.text.split("\n") if line.strip()]
        repeated = [line for line, count in Counter(lines).items()
                    if count >= 3 and len(line) > 25 and not re.match(r"\(?\d", line)]
        assert not repeated, f"{name}: lines repeated on several pages: {repeated}"


def test_real_pdf_page_numbers_are_dropped(real_pdfs: dict[str, Document]) -> None:
    page_number = re.compile(r"^(page\s*)?[-–(]?\s*\d{1,4}\s*[-–)]?(\s*of\s*\d{1,4})?$", re.IGNORECASE)
    for name, document in real_pdfs.items():
        numbers = [line for line in document.text.split("\n") if page_number.match(line.strip())]
        assert not numbers, f"{name}: bare page-number lines {numbers}"


def test_real_pdf_words_split_at_line_ends_are_rejoined(real_pdfs: dict[str, Document]) -> None:
    text = real_pdfs["p07"].text  # LaTeX: "City Coun-" / "cillor", "nesting pre-" / "vention"
    assert "City Councillor Lana Reid McConnell" in text
    assert "private pest control for nesting prevention" in text
    assert "Coun-" not in text and "pre- vention" not in text
    # Real hyphens stay: "Co-" / "Operative" in p01 is the bank's name.
    assert "Co-Operative Bank whereby" in real_pdfs["p01"].text


def test_real_pdf_item_numbers_start_their_lines(real_pdfs: dict[str, Document]) -> None:
    expected = {
        "p01": ["102. APOLOGIES FOR ABSENCE", "103.1 The chairman proposed", "108. FINANCE"],
        "p03": ["21.01.05 Discussion regarding the procurement of the Village Green"],
        "p05": ["1. WELCOME AND APOLOGIES", "13ii) Arrangements for additional bank signatories"],
        "p06": ["2564. Police Report: Attached."],
        "p09": ["84. Apologies"],
        "p10": ["286. Apologies for Absence"],
    }
    for name, starts in expected.items():
        lines = real_pdfs[name].text.split("\n")
        for start in starts:
            assert any(line.startswith(start) for line in lines), f"{name}: no line starts '{start}'"


def test_real_pdf_table_rows_keep_their_cells_apart(real_pdfs: dict[str, Document]) -> None:
    text = real_pdfs["p01"].text
    assert "Tewin01/11/2011" not in text  # run together by plain pypdf extraction
    assert "| 01/11/2011" in text
    assert "T Brindley | Salary | DD | 1,055.01 | 0.00 | 1,055.01 OK" in text
    # p05's right-aligned action owners are set apart from the sentence they follow.
    assert "13ii) Arrangements for additional bank signatories were in hand. | Clerk" in real_pdfs["p05"].text


def test_real_pdf_pages_locate_their_text(real_pdfs: dict[str, Document]) -> None:
    for path in PDF_FILES:
        document = real_pdfs[path.name[:3]]
        pages = PdfReader(path).pages
        assert [span.page for span in document.pages] == list(range(1, len(pages) + 1))
        previous_end = 0
        for span, page in zip(document.pages, pages, strict=True):
            assert previous_end <= span.start <= span.end <= len(document.text)
            previous_end = span.end
            stored = " ".join(document.text[span.start : span.end].split())
            # Every long raw line of the page (headers and cut words aside) is in its span.
            for raw in (page.extract_text() or "").split("\n"):
                words = raw.split()
                if len(words) >= 8 and not raw.rstrip().endswith("-"):
                    middle = " ".join(words[2:6])
                    assert middle in stored or middle not in " ".join(document.text.split()), (
                        f"{path.name} page {span.page}: '{middle}' lies outside its span"
                    )
        covered = sum(span.end - span.start for span in document.pages)
        assert covered >= 0.95 * len(document.text.strip())


def test_pdf_wrapped_paragraph_is_one_line_and_items_keep_their_lines(tmp_path: Path) -> None:
    paragraph = ("The Council discussed the condition of the footpath along the river at some length "
                 "and agreed that the clerk would write to the county council about the repairs.")
    path = _pdf(tmp_path / "wrapped.pdf", [f"12. FOOTPATHS\n{paragraph}\n13. CORRESPONDENCE\nNone."])
    raw = PdfReader(path).pages[0].extract_text()
    assert paragraph not in raw  # fpdf wrapped it over several lines
    assert read_file(path).text == f"12. FOOTPATHS\n{paragraph}\n13. CORRESPONDENCE\nNone."


def test_pdf_page_number_and_running_header_are_dropped(tmp_path: Path) -> None:
    path = _pdf(tmp_path / "furniture.pdf", [f"PARISH COUNCIL\n{PAGE_ONE}\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n1",
                                             f"PARISH COUNCIL\n{PAGE_TWO}\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n2"])
    assert read_file(path).text == f"{PAGE_ONE}\n\n{PAGE_TWO}"
