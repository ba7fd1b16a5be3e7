"""An ingest in bf16 (the default where the CPU multiplies bf16 in hardware) stores the fp32 model's
vectors to within cosine 0.9995, and the index answers as the fp32-ingested one does."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from minutes_qa.index.ingest import ingest
from minutes_qa.index.store import current_generation, load_contents
from minutes_qa.rag.engine import Engine
from minutes_qa.settings import Settings
from support import SAMPLE_CORPUS

QUESTIONS = (
    "What did the board say about workforce risk?",
    "When will the library opening hours change?",
    "Who chaired the meeting?",
)


def test_an_ingest_in_bf16_stores_the_fp32_model_s_vectors_and_answers_alike(tmp_path: Path) -> None:
    settings = {
        "fp32": Settings(ingest_precision="fp32"),
        # min_texts 1: the sample is smaller than the default's threshold for bf16.
        "bf16": Settings(ingest_precision="bf16", ingest_bf16_min_texts=1),
    }
    for name, chosen in settings.items():
        ingest([SAMPLE_CORPUS], tmp_path / name, chosen, progress=False)
    fp32, bf16 = (load_contents(current_generation(tmp_path / name)) for name in settings)

    assert [chunk.embed_text for chunk in fp32.chunks] == [chunk.embed_text for chunk in bf16.chunks]
    cosines = (fp32.vectors * bf16.vectors).sum(axis=1)
    assert cosines.min() > 0.9995
    assert not np.array_equal(fp32.vectors, bf16.vectors)  # bf16 did run
    assert fp32.sentences.keys() == bf16.sentences.keys()
    for doc_id, sentences in fp32.sentences.items():
        assert np.array_equal(sentences.spans, bf16.sentences[doc_id].spans)
        stored = (sentences.vectors.astype(np.float32) * bf16.sentences[doc_id].vectors.astype(np.float32)).sum(axis=1)
        assert stored.min() > 0.999  # float16 on disk either way

    engines = {name: Engine.open(tmp_path / name, chosen) for name, chosen in settings.items()}
    for question in QUESTIONS:
        answers = [engine.ask(question) for engine in engines.values()]
        assert answers[0].answer == answers[1].answer
        assert [passage.id for passage in answers[0].passages[:3]] == [passage.id for passage in answers[1].passages[:3]]
