"""The citation view's heading, read from the sample index's stored passages."""

from __future__ import annotations

from minutes_qa.rag.engine import Engine
from minutes_qa.server.view import cited_heading


def test_the_heading_comes_from_the_stored_passage_holding_the_offset(sample_engine: Engine) -> None:
    reader = sample_engine.reader
    chunk = next(chunk for chunk in reader.chunks if chunk.heading)

    assert cited_heading(reader, chunk.doc_id, chunk.start) == chunk.heading
    assert cited_heading(reader, "no-such-document", 0) == ""
    assert cited_heading(reader, chunk.doc_id, 10**9) == ""
