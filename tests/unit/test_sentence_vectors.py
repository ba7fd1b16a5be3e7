"""Sentence spans of overlapping chunks, kept once (no model)."""

from __future__ import annotations

import numpy as np

from minutes_qa.index.sentence_store import chunk_sentence_spans


def test_sentence_spans_of_overlapping_chunks_are_kept_once() -> None:
    from minutes_qa.index.records import Chunk

    text = "First point made. Second point made.\nThird point here. Fourth one."
    chunks = [
        Chunk("a-0", "a", 0, 0, 36, text[0:36], ""),
        Chunk("a-1", "a", 1, 18, len(text), text[18:], ""),
    ]
    spans = chunk_sentence_spans(text, chunks)
    assert [text[start:end] for start, end in spans.tolist()] == [
        "First point made.", "Second point made.", "Third point here.", "Fourth one."
    ]
    assert spans.dtype == np.int32
