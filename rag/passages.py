"""The contract's passages for retrieved chunk rows, their text and source read once per generation.

A passage is a chunk, or neighbouring chunks joined (see :mod:`rag.retrieval`); its text is a slice
of the stored document and its source comes from the document's metadata. Both depend only on the
rows, and the same few thousand passages answer most questions, so they are remembered (a bounded
number, the oldest forgotten first) rather than read from the store again for every request.
"""

from __future__ import annotations

import threading

from minutes_qa.contract import Passage, Source
from minutes_qa.index.backend import StoreReader

from .references import formal_reference
from .retrieval import ScoredPassage

# ~2 kB each (text and source): a few MB per generation.
_REMEMBERED = 4096


class PassageReader:
    """Makes :class:`Passage` results of one generation's rows. Safe to share between threads."""

    def __init__(self, reader: StoreReader, remembered: int = _REMEMBERED) -> None:
        self._reader = reader
        self._remembered = remembered
        self._known: dict[tuple[int, ...], tuple[str, str, Source]] = {}
        self._lock = threading.Lock()

    def passages(self, scored: list[ScoredPassage]) -> list[Passage]:
        """The passages of ``scored``, ranked from 1 in that order, scores rounded to 6 decimals."""
        with self._lock:
            known = {item.rows: self._known[item.rows] for item in scored if item.rows in self._known}
        missing = [item.rows for item in scored if item.rows not in known]
        if missing:
            found = dict(zip(missing, self._read(missing), strict=True))
            with self._lock:
                self._known.update(found)
                while len(self._known) > self._remembered:
                    del self._known[next(iter(self._known))]
            known.update(found)
        return [
            Passage(id=known[item.rows][0], rank=rank, score=round(item.score, 6), text=known[item.rows][1],
                    source=known[item.rows][2])
            for rank, item in enumerate(scored, start=1)
        ]

    def _read(self, rows: list[tuple[int, ...]]) -> list[tuple[str, str, Source]]:
        """Id, text and source of each passage made of ``rows``, from the store."""
        reader = self._reader
        read = []
        firsts = reader.chunks.fetch(passage_rows[0] for passage_rows in rows)
        for passage_rows, chunk in zip(rows, firsts, strict=True):
            doc = reader.documents[chunk.doc_id]
            metadata = doc.metadata
            end = int(reader.chunks.end[list(passage_rows)].max())
            last_ordinal = int(reader.chunks.ordinal[passage_rows[-1]])
            text = chunk.text if len(passage_rows) == 1 else reader.document_text(doc.doc_id)[chunk.start : end]
            passage_id = chunk.chunk_id if len(passage_rows) == 1 else f"{chunk.chunk_id}-{last_ordinal:04d}"
            source = Source(
                doc_id=doc.doc_id, file=doc.file, start=chunk.start, end=end, page=chunk.page,
                council=metadata.council, committee=metadata.committee, meeting_date=metadata.meeting_date,
                title=metadata.title or chunk.heading or None, url=metadata.url,
                reference=formal_reference(metadata, chunk.heading, chunk.page, doc.page_at(end - 1), doc.file),
            )
            read.append((passage_id, text, source))
        return read
