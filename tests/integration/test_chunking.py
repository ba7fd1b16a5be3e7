"""Chunk invariants over every real corpus file, plus chunking cases that count tokens with the model.

Every file of the shared corpus (seeds and dev) and of the bundled sample is read and given
metadata exactly as ``minutes ingest`` does, then chunked with the session's embedding model
counting tokens. Each invariant test walks all files and reports every offending chunk at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest

from minutes_qa.index.chunking import chunk_document, contextual_header
from minutes_qa.index.embedding import Embedder
from minutes_qa.index.ingest import document_id
from minutes_qa.index.metadata import load_sidecar, parse_metadata
from minutes_qa.index.readers import SUPPORTED_SUFFIXES, read_file
from minutes_qa.index.records import Chunk, Document, DocumentMetadata
from minutes_qa.index.store import IndexReader
from minutes_qa.settings import Settings
from minutes_qa.text.dates import human_date
from minutes_qa.text.sentences import split_sentences
from support import SAMPLE_CORPUS, SHARED_CORPUS

CORPUS_FOLDERS = (SHARED_CORPUS / "seeds", SHARED_CORPUS / "dev", SAMPLE_CORPUS)
MEETING_LINE = re.compile(r"(?m)^Meeting:[^\n]*")


@dataclass(frozen=True)
class Chunked:
    path: Path
    document: Document
    chunks: list[Chunk]

    @property
    def name(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"


def read_document(path: Path, sidecar: dict[str, DocumentMetadata]) -> Document:
    """A file as ingest stores it: reader text, page-heading metadata under the sidecar's."""
    read = read_file(path)
    parsed = parse_metadata(read.text)
    metadata = sidecar[path.name].merged_over(parsed) if path.name in sidecar else parsed
    return Document(
        doc_id=document_id(path.resolve()), file=path.name, path=str(path.resolve()), content_hash="",
        text=read.text, metadata=metadata, pages=read.pages,
    )


def chunk(document: Document, embedder: Embedder, max_tokens: int, overlap: int = 1) -> list[Chunk]:
    return chunk_document(document, embedder.count_tokens, max_tokens, overlap)


@pytest.fixture(scope="module")
def corpus(settings: Settings, embedder: Embedder) -> list[Chunked]:
    """Every corpus file, chunked with the default settings."""
    budget = min(settings.index.chunk_max_tokens, embedder.max_tokens)
    chunked = []
    for folder in CORPUS_FOLDERS:
        sidecar = load_sidecar(folder)
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            document = read_document(path, sidecar)
            chunked.append(Chunked(path, document, chunk(document, embedder, budget, settings.index.chunk_overlap_sentences)))
    return chunked


def sentence_spans(text: str) -> list[tuple[int, int]]:
    return split_sentences(text)


def assert_no_problems(problems: list[str]) -> None:
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:30])


# --- corpus-wide invariants ------------------------------------------------------------------


def test_corpus_is_complete(corpus: list[Chunked]) -> None:
    """Every file of every folder is covered here (the shared corpus grows; this must follow it)."""
    expected = sum(
        1 for folder in CORPUS_FOLDERS for path in folder.iterdir() if path.suffix.lower() in SUPPORTED_SUFFIXES
    )
    assert len(corpus) == expected
    assert len(corpus) >= 180
    assert all(item.chunks for item in corpus), [item.name for item in corpus if not item.chunks]


def test_chunk_text_is_exact_slice_of_document(corpus: list[Chunked]) -> None:
    problems = []
    for item in corpus:
        for number, c in enumerate(item.chunks):
            if c.text != item.document.text[c.start : c.end]:
                problems.append(f"{item.name} chunk {number}: text differs from document[{c.start}:{c.end}]")
            if not (0 <= c.start < c.end <= len(item.document.text)):
                problems.append(f"{item.name} chunk {number}: bad span {c.start}:{c.end}")
            if c.ordinal != number or c.chunk_id != f"{item.document.doc_id}:{number:04d}":
                problems.append(f"{item.name} chunk {number}: ordinal {c.ordinal}, id {c.chunk_id}")
            if c.text != c.text.strip():
                problems.append(f"{item.name} chunk {number}: leading or trailing white space")
    assert_no_problems(problems)


def test_chunks_are_in_document_order(corpus: list[Chunked]) -> None:
    problems = []
    for item in corpus:
        for a, b in pairwise(item.chunks):
            if not (a.start < b.start and a.end < b.end):
                problems.append(f"{item.name}: chunk {a.ordinal} {a.start}:{a.end} then {b.ordinal} {b.start}:{b.end}")
    assert_no_problems(problems)


def test_embedded_text_fits_the_model(corpus: list[Chunked], settings: Settings, embedder: Embedder) -> None:
    """Counted with the model's own tokenizer, special tokens included: nothing is truncated."""
    limit = min(settings.index.chunk_max_tokens, embedder.max_tokens)
    problems = []
    for item in corpus:
        counts = embedder.count_tokens([c.embed_text for c in item.chunks])
        problems += [
            f"{item.name} chunk {c.ordinal}: {count} tokens > {limit}"
            for c, count in zip(item.chunks, counts, strict=True)
            if count > limit
        ]
    assert_no_problems(problems)


def test_chunks_use_most_of_the_budget(corpus: list[Chunked], settings: Settings, embedder: Embedder) -> None:
    """Packing works: most passages are not tiny (guards against a chunker that emits sentences)."""
    counts = [n for item in corpus for n in embedder.count_tokens([c.embed_text for c in item.chunks])]
    assert sum(counts) / len(counts) > settings.index.chunk_max_tokens / 3


def _inside_sentence(spans: list[tuple[int, int]], offset: int) -> tuple[int, int] | None:
    return next(((s, e) for s, e in spans if s < offset < e), None)


def test_chunks_never_cut_a_sentence(corpus: list[Chunked], settings: Settings, embedder: Embedder) -> None:
    """Each chunk starts at a sentence start and ends at a sentence end, unless it is a piece of a
    single sentence too long for any chunk."""
    problems = []
    for item in corpus:
        text = item.document.text
        spans = sentence_spans(text)
        starts, ends = {s for s, _ in spans}, {e for _, e in spans}
        header = contextual_header(item.document.metadata)
        for c in item.chunks:
            for offset, allowed, what in ((c.start, starts, "starts"), (c.end, ends, "ends")):
                if offset in allowed:
                    continue
                sentence = _inside_sentence(spans, offset)
                if sentence is None:
                    problems.append(f"{item.name} chunk {c.ordinal} {what} at {offset}, between sentences")
                    continue
                tokens = embedder.count_tokens([f"{header}\n{text[sentence[0]:sentence[1]]}"])[0]
                if tokens <= settings.index.chunk_max_tokens:
                    context = text[max(0, offset - 30) : offset + 30]
                    problems.append(f"{item.name} chunk {c.ordinal} {what} mid-sentence: {context!r}")
    assert_no_problems(problems)


def test_every_non_blank_character_is_covered(corpus: list[Chunked]) -> None:
    problems = []
    for item in corpus:
        text = item.document.text
        covered = bytearray(len(text))
        for c in item.chunks:
            covered[c.start : c.end] = b"\x01" * (c.end - c.start)
        missing = [i for i, char in enumerate(text) if not char.isspace() and not covered[i]]
        if missing:
            problems.append(f"{item.name}: {len(missing)} characters uncovered, first {text[missing[0]:missing[0] + 40]!r}")
    assert_no_problems(problems)


def _is_heading_line(line: str) -> bool:
    """Page furniture or a title: short and not ending like a sentence."""
    return len(line) <= 120 and not line.endswith((".", "?", "!", ";", ","))


def test_chunks_do_not_cross_a_meeting_heading(corpus: list[Chunked]) -> None:
    """Text before a "Meeting: ..." line and the item after it never share a chunk, except for the
    page's own title lines above the first item (which name that item)."""
    problems = []
    for item in corpus:
        text = item.document.text
        for match in MEETING_LINE.finditer(text):
            for c in item.chunks:
                if c.start < match.start() < c.end:
                    before = [line.strip() for line in text[c.start : match.start()].splitlines() if line.strip()]
                    prose = [line for line in before if not _is_heading_line(line)]
                    if prose:
                        problems.append(f"{item.name} chunk {c.ordinal} runs from {prose[0][:50]!r} into {match.group(0)!r}")
    assert_no_problems(problems)


def test_documents_with_several_meetings_split_between_them(corpus: list[Chunked]) -> None:
    """A chunk holding a second "Meeting:" line starts with it."""
    problems = []
    multi = [item for item in corpus if len(MEETING_LINE.findall(item.document.text)) > 1]
    assert multi, "the corpus should hold a page covering several meetings"
    for item in multi:
        for match in list(MEETING_LINE.finditer(item.document.text))[1:]:
            holders = [c for c in item.chunks if c.start <= match.start() < c.end]
            if not holders or holders[0].start != match.start():
                problems.append(f"{item.name}: {match.group(0)!r} is not at the start of a chunk")
    assert_no_problems(problems)


def test_heading_path_names_the_agenda_item(corpus: list[Chunked]) -> None:
    """In a single-item ModernGov page every chunk from the item title on carries that title."""
    problems = []
    checked = 0
    for item in corpus:
        text = item.document.text
        meetings = list(MEETING_LINE.finditer(text))
        if len(meetings) != 1:
            continue
        title = re.match(r"\s*(\d{1,4}[A-Za-z]?\.?\s+\S[^\n]*)\n", text[meetings[0].end() :])
        if not title:
            continue
        title_text = " ".join(title.group(1).split())
        title_start = meetings[0].end() + title.start(1)
        checked += 1
        for c in item.chunks:
            if c.end > title_start and not c.heading.startswith(title_text):
                problems.append(f"{item.name} chunk {c.ordinal}: heading {c.heading!r}, expected {title_text!r} › ...")
    assert checked >= 20
    assert_no_problems(problems)


def test_heading_path_has_at_most_two_levels(corpus: list[Chunked]) -> None:
    problems = [
        f"{item.name} chunk {c.ordinal}: {c.heading!r}"
        for item in corpus
        for c in item.chunks
        if len(c.heading.split(" › ")) > 2 or "\n" in c.heading
    ]
    assert_no_problems(problems)


def test_minutes_section_appears_in_heading_path(corpus: list[Chunked]) -> None:
    item = next(i for i in corpus if i.path.name == "000_8587a590a89dd507.txt" and i.path.parent == SAMPLE_CORPUS)
    title = "150 Improving health and wellbeing – a system leadership approach to transformation pdf icon PDF 259 KB"
    assert item.chunks[0].heading == title
    minutes_at = item.document.text.index("Minutes:")
    for c in item.chunks:
        if c.start >= minutes_at:
            assert c.heading == f"{title} › Minutes:"


def test_stored_text_has_no_header_but_embed_text_does(corpus: list[Chunked]) -> None:
    problems = []
    for item in corpus:
        header = contextual_header(item.document.metadata)
        for c in item.chunks:
            first_line, _, body = c.embed_text.partition("\n")
            if header:
                if not header.startswith(first_line) or not first_line:
                    problems.append(f"{item.name} chunk {c.ordinal}: embed header {first_line!r} is not {header!r}")
                if body != " ".join(c.text.split()):
                    problems.append(f"{item.name} chunk {c.ordinal}: embed body is not the folded chunk text")
                if first_line not in item.document.text and first_line in c.text:
                    problems.append(f"{item.name} chunk {c.ordinal}: stored text carries the header")
            elif c.embed_text != " ".join(c.text.split()):
                problems.append(f"{item.name} chunk {c.ordinal}: embed text without header is not the folded text")
    assert_no_problems(problems)


def test_contextual_header_names_committee_date_and_title(corpus: list[Chunked]) -> None:
    """With sidecar metadata the header carries council, committee, the date in words and the title."""
    item = next(i for i in corpus if i.path.name == "a01_bcp_hwb-quorum.txt")
    metadata = item.document.metadata
    assert metadata.committee == "Health and Wellbeing Board"
    assert metadata.meeting_date == "2021-06-17"
    for c in item.chunks:
        first_line = c.embed_text.split("\n", 1)[0]
        assert first_line.startswith("Bournemouth, Christchurch and Poole Council. Health and Wellbeing Board. 17 June 2021. ")
        assert "Health and Wellbeing Board - Business protocol" in first_line
        assert "17 June 2021" not in c.text


def test_every_dated_document_has_its_date_in_the_header(corpus: list[Chunked]) -> None:
    problems = []
    for item in corpus:
        metadata = item.document.metadata
        for c in item.chunks:
            first_line = c.embed_text.split("\n", 1)[0]
            if metadata.committee and metadata.committee not in first_line:
                problems.append(f"{item.name}: committee missing from {first_line!r}")
            if metadata.meeting_date and human_date(metadata.meeting_date) not in first_line:
                problems.append(f"{item.name}: date missing from {first_line!r}")
    assert_no_problems(problems)


def test_long_sections_overlap_by_one_sentence(corpus: list[Chunked]) -> None:
    """Where neighbouring chunks overlap, the shared text is exactly the earlier chunk's last sentence."""
    overlapping = 0
    problems = []
    for item in corpus:
        spans = set(sentence_spans(item.document.text))
        for a, b in pairwise(item.chunks):
            if b.start >= a.end:
                continue
            overlapping += 1
            last_sentence = max((s for s in spans if s[1] == a.end), default=None)
            if (b.start, a.end) not in spans or last_sentence != (b.start, a.end):
                problems.append(f"{item.name} chunks {a.ordinal}/{b.ordinal}: overlap {item.document.text[b.start:a.end]!r}")
    assert overlapping >= 50, "long sections should be split with overlap somewhere in the corpus"
    assert_no_problems(problems)


# --- chunking unit cases ---------------------------------------------------------------------

ANIMALS = ("badgers", "otters", "newts", "kestrels", "voles", "hedgehogs", "swifts", "bats", "beetles", "moths")


def survey(topic: str, count: int) -> str:
    return " ".join(
        f"Members discussed the {topic} survey of {ANIMALS[i % len(ANIMALS)]} number {i}, which found {i * 3} "
        "sightings along the river corridor in the spring."
        for i in range(count)
    )


def make_document(text: str, **metadata: str) -> Document:
    return Document("synthetic-00000000", "synthetic.txt", "/synthetic.txt", "", text, DocumentMetadata(**metadata))


def test_long_section_is_split_with_one_sentence_overlap(embedder: Embedder) -> None:
    text = f"4 Quokka Meadow rewilding scheme\n\nMinutes:\n\n{survey('meadow', 40)}\n"
    document = make_document(text, committee="Environment Scrutiny Committee", meeting_date="2023-09-14")
    chunks = chunk(document, embedder, 128)
    assert len(chunks) >= 5
    spans = sentence_spans(text)
    for a, b in pairwise(chunks):
        last = max(s for s in spans if s[1] == a.end)
        assert b.start == last[0], "the next chunk starts with the previous chunk's last sentence"
        assert text[b.start : a.end].startswith("Members discussed")
    assert all(c.heading == "4 Quokka Meadow rewilding scheme › Minutes:" for c in chunks)


def test_no_overlap_when_overlap_is_zero(embedder: Embedder) -> None:
    text = f"Minutes:\n\n{survey('meadow', 40)}\n"
    chunks = chunk(make_document(text), embedder, 128, overlap=0)
    assert len(chunks) >= 5
    assert all(b.start > a.end for a, b in pairwise(chunks))


@pytest.mark.parametrize("max_tokens", [64, 96, 128, 256])
def test_budget_is_respected_at_any_size(embedder: Embedder, max_tokens: int) -> None:
    text = f"4 Quokka Meadow rewilding scheme\n\nMinutes:\n\n{survey('meadow', 30)}\n\nRESOLVED: that it be approved.\n"
    document = make_document(text, council="Example Borough Council", committee="Cabinet", meeting_date="2023-09-14")
    chunks = chunk(document, embedder, max_tokens)
    assert all(n <= max_tokens for n in embedder.count_tokens([c.embed_text for c in chunks]))
    assert all(c.text == text[c.start : c.end] for c in chunks)


def test_overlong_sentence_is_cut_between_words_into_fitting_pieces(embedder: Embedder) -> None:
    sentence = " ".join(f"item{i} and the committee noted" for i in range(150)) + "."
    text = f"Minutes:\n\nThe chair opened the meeting. {sentence}\n\nThe chair closed the meeting.\n"
    chunks = chunk(make_document(text, committee="Cabinet"), embedder, 128)
    assert len(chunks) >= 6
    assert all(n <= 128 for n in embedder.count_tokens([c.embed_text for c in chunks]))
    words = {m.start() for m in re.finditer(r"\S+", text)} | {m.end() for m in re.finditer(r"\S+", text)}
    for c in chunks:
        assert c.start in words and c.end in words, "pieces start and end on word boundaries"
    covered = bytearray(len(text))
    for c in chunks:
        covered[c.start : c.end] = b"\x01" * (c.end - c.start)
    assert all(covered[i] or text[i].isspace() for i in range(len(text)))
    inside = [c for c in chunks if text.index(sentence) < c.start < text.index(sentence) + len(sentence)]
    assert len(inside) >= 4, "the long sentence is cut into several pieces"


def test_overlong_sentence_at_a_tiny_budget_is_covered(embedder: Embedder) -> None:
    """Every character is covered even when a sentence must be cut many times."""
    sentence = " ".join(f"word{i}" for i in range(700)) + "."
    text = f"Minutes:\n\n{sentence}\n"
    chunks = chunk(make_document(text), embedder, 64)
    covered = bytearray(len(text))
    for c in chunks:
        covered[c.start : c.end] = b"\x01" * (c.end - c.start)
    assert all(covered[i] or text[i].isspace() for i in range(len(text)))


def test_resolution_stays_with_its_own_agenda_item(embedder: Embedder) -> None:
    """Two items on one page: each item's minutes, resolution included, stay in its own chunks."""
    text = (
        "Issue - meetings\n\nQuokka Meadow rewilding scheme\n\n"
        "Meeting: 14/09/2023 - Environment Scrutiny Committee (Item 4)\n\n4 Quokka Meadow rewilding scheme\n\n"
        f"Minutes:\n\n{survey('meadow', 6)}\n\n"
        "Meeting: 14/09/2023 - Environment Scrutiny Committee (Item 5)\n\n5 Town centre parking charges\n\n"
        f"Minutes:\n\n{survey('parking', 4)}\n\nRESOLVED: that the parking charges be frozen.\n"
    )
    chunks = chunk(make_document(text, committee="Environment Scrutiny Committee"), embedder, 256)
    second = text.index("Meeting: 14/09/2023 - Environment Scrutiny Committee (Item 5)")
    assert any(c.start == second for c in chunks)
    assert not any(c.start < second < c.end for c in chunks)
    assert all(c.heading.startswith("5 Town centre parking charges") for c in chunks if c.start >= second)


def test_resolution_line_is_not_glued_to_the_next_agenda_item(embedder: Embedder) -> None:
    text = (
        "Meeting: 14/09/2023 - Environment Scrutiny Committee (Item 4)\n\n4 Quokka Meadow rewilding scheme\n\n"
        f"Minutes:\n\n{survey('meadow', 8)}\n\nRESOLVED: that the Quokka Meadow rewilding scheme be approved.\n\n"
        "Meeting: 14/09/2023 - Environment Scrutiny Committee (Item 5)\n\n5 Town centre parking charges\n\n"
        f"Minutes:\n\n{survey('parking', 4)}\n\nRESOLVED: that the parking charges be frozen.\n"
    )
    chunks = chunk(make_document(text, committee="Environment Scrutiny Committee"), embedder, 256)
    second = text.index("Meeting: 14/09/2023 - Environment Scrutiny Committee (Item 5)")
    offenders = [c for c in chunks if c.start < second < c.end]
    assert not offenders, f"chunk {offenders[0].start}:{offenders[0].end} {offenders[0].text[:120]!r} crosses item 5"


def test_heading_path_of_undotted_item_title(embedder: Embedder) -> None:
    text = (
        "Meeting: 15/11/2019 - Cabinet (Item 5)\n\n5 Environmental Services - Award of Contract\n\n"
        "Minutes:\n\nCouncillor Cutler introduced the report on the award of the contract. Members asked about bins.\n"
    )
    headings = [c.heading for c in chunk(make_document(text), embedder, 256)]
    assert headings == ["5 Environmental Services - Award of Contract › Minutes:"]


def test_heading_path_of_dotted_item_number(embedder: Embedder) -> None:
    text = (
        "Meeting: 16/05/2017 - Cabinet (Item 10.)\n\n10. Integrated Education Capital Programme Update pdf icon PDF 93 KB"
        "\n\nMinutes:\n\nThe Cabinet considered the report on the capital programme. Members noted progress.\n"
    )
    headings = [c.heading for c in chunk(make_document(text), embedder, 256)]
    assert headings == ["10. Integrated Education Capital Programme Update pdf icon PDF 93 KB › Minutes:"]


def test_numbered_decisions_do_not_start_agenda_items(embedder: Embedder) -> None:
    text = (
        "Meeting: 15/11/2019 - Cabinet (Item 5)\n\n5 Environmental Services - Award of Contract\n\nDecision:\n\n"
        "1.\u00a0\u00a0 That the contract for waste collection services be awarded to Bidder A;\n\n"
        "2.\u00a0\u00a0 That the Strategic Director be authorised to issue notification of intention to award;\n\n"
        "Minutes:\n\nCouncillor Cutler introduced the report on the award of the contract. Members asked about bins.\n"
    )
    headings = [c.heading for c in chunk(make_document(text), embedder, 256)]
    assert all(heading.startswith("5 Environmental Services - Award of Contract") for heading in headings), headings


def test_titled_numbered_items_of_a_full_minutes_page_start_items(embedder: Embedder) -> None:
    """A page of several items: numbered titles start items, numbered resolutions under them do not."""
    text = (
        "Decision Session - Executive Member for Health\n\n15 December 2021\n\n"
        "38.\u00a0\u00a0 Declarations of Interest\n\nNone were declared by the Executive Member at this meeting.\n\n"
        "39.\u00a0\u00a0 Public Health Grant Allocation 2021-22\n\nThe Executive Member considered the report.\n\n"
        "Resolved:\n\n1.\u00a0 That the allocation of the grant be approved;\n\n"
        "2.\u00a0 That the Director be authorised to agree the contracts.\n"
    )
    chunks = chunk(make_document(text), embedder, 64, overlap=0)
    item_38, item_39 = text.index("38."), text.index("39.")
    assert {item_38, item_39} <= {c.start for c in chunks}, "each item starts a chunk"
    assert [c.heading for c in chunks if item_38 <= c.start < item_39] == ["38. Declarations of Interest"]
    assert [c.heading for c in chunks if c.start >= item_39] == ["39. Public Health Grant Allocation 2021-22 › Resolved:"]


def test_empty_document_metadata_gives_plain_embed_text(embedder: Embedder) -> None:
    text = "Minutes:\n\nThe  committee\tnoted the report.\n"
    chunks = chunk(make_document(text), embedder, 256)
    assert [c.embed_text for c in chunks] == ["Minutes: The committee noted the report."]
    assert chunks[0].heading == "Minutes:"


def test_too_small_budget_is_refused(embedder: Embedder) -> None:
    document = make_document("Some text here.", council="A very long council name " * 10)
    with pytest.raises(ValueError, match="leaves no room"):
        chunk(document, embedder, 32)


def test_stored_chunks_equal_direct_chunking(sample_index: Path, settings: Settings, embedder: Embedder) -> None:
    """What ingest stores is exactly what the chunker produced for the file."""
    reader = IndexReader.open(sample_index)
    try:
        budget = min(settings.index.chunk_max_tokens, embedder.max_tokens)
        for doc_id, stored in reader.documents.items():
            document = reader.document(doc_id)
            direct = chunk(document, embedder, budget, settings.index.chunk_overlap_sentences)
            kept = [c for c in reader.chunks if c.doc_id == doc_id]
            assert [(c.start, c.end, c.text, c.embed_text, c.heading) for c in kept] == [
                (c.start, c.end, c.text, c.embed_text, c.heading) for c in direct
            ], stored.file
    finally:
        reader.close()


# --- sentence splitting --------------------------------------------------------------------


def test_sentence_spans_cover_every_corpus_character(corpus: list[Chunked]) -> None:
    problems = []
    for item in corpus:
        text = item.document.text
        covered = bytearray(len(text))
        previous_end = 0
        for start, end in split_sentences(text):
            if start < previous_end:
                problems.append(f"{item.name}: sentences overlap at {start}")
            previous_end = end
            covered[start:end] = b"\x01" * (end - start)
        if any(not char.isspace() and not covered[i] for i, char in enumerate(text)):
            problems.append(f"{item.name}: characters outside every sentence")
    assert_no_problems(problems)
