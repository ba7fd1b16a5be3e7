"""Records that cross module boundaries on the write path and into the read path."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class PageSpan:
    """Where one PDF page lies in a document's stored text."""

    page: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class DocumentMetadata:
    """What is known about the meeting a document records. Every field may be unknown."""

    council: str | None = None
    committee: str | None = None
    meeting_date: str | None = None  # ISO 8601 date
    item_number: str | None = None
    title: str | None = None
    url: str | None = None

    def merged_over(self, fallback: DocumentMetadata) -> DocumentMetadata:
        """Fields of ``self`` where known, otherwise those of ``fallback``."""
        return DocumentMetadata(
            **{name: getattr(self, name) or getattr(fallback, name) for name in self.__dataclass_fields__}
        )


@dataclass(frozen=True, slots=True)
class ReadDocument:
    """The output of a reader: a file's text as it will be stored, before metadata and ids."""

    text: str
    pages: tuple[PageSpan, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Document:
    """One minutes file as stored in the index. ``text`` is what every span refers to."""

    doc_id: str
    file: str  # the file's name, e.g. "004_9c3bc0e0b6f5359f.txt"
    path: str  # absolute path it was read from
    content_hash: str
    text: str
    metadata: DocumentMetadata = field(default_factory=DocumentMetadata)
    pages: tuple[PageSpan, ...] = ()

    def page_at(self, offset: int) -> int | None:
        """The PDF page holding character ``offset``, or None for documents without pages."""
        for span in self.pages:
            if span.start <= offset < span.end:
                return span.page
        return self.pages[-1].page if self.pages and offset >= self.pages[-1].start else None


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage: an exact span of its document's text, plus what is embedded for it.

    ``text == document.text[start:end]`` always holds; ``embed_text`` may carry a short
    contextual header and folded whitespace, and is never shown to users.
    """

    chunk_id: str
    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str
    heading: str
    page: int | None = None
    embed_text: str = ""
    duplicate_of: str | None = None
