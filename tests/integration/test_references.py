"""Formal references on the real sources the engine returns, from text minutes and from a PDF."""

from __future__ import annotations

from pathlib import Path

from minutes_qa.contract import Filters
from minutes_qa.index.embedding import Embedder
from minutes_qa.index.ingest import ingest
from minutes_qa.rag.engine import Engine
from minutes_qa.settings import Settings
from support import REPO

SHARED_CORPUS = REPO.parent / "shared" / "corpus"


def test_every_source_the_engine_returns_carries_its_reference(sample_engine: Engine) -> None:
    # 000_... is ModernGov's page for item 150 of Herefordshire's board on 13/02/2018; the page
    # itself does not name the council, so neither does the reference.
    response = sample_engine.search("system leadership", k=5, filters=Filters(file="000_8587a590a89dd507.txt"))
    assert response.passages
    assert {passage.source.reference for passage in response.passages} == {
        "Health and Wellbeing Board, 13 February 2018, minute 150"
    }


def test_pdf_sources_give_their_page(tmp_path: Path, settings: Settings, embedder: Embedder) -> None:
    pdf = SHARED_CORPUS / "pdf" / "p09_kent-cc_cabinet-2025-01-30.pdf"
    ingest([pdf], tmp_path / "index", settings, progress=False, embedder=embedder)
    engine = Engine.open(tmp_path / "index", settings)
    passages = engine.search("cabinet decision budget", k=8).passages
    assert passages
    for passage in passages:
        document = engine.reader.documents[passage.source.doc_id]
        first, last = passage.source.page, document.page_at(passage.source.end - 1)
        assert first is not None
        pages = f"page {first}" if first == last else f"pages {first}-{last}"
        assert passage.source.reference.endswith(f", {pages}"), passage.source.reference
