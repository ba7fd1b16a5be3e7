"""Abstention's check that a document of unknown council names the council asked about."""

from __future__ import annotations

from minutes_qa.rag.engine import DocumentMentions

TEXTS = {
    "joint": "Minutes of the Joint Board of Slough Borough Council and the Royal Borough of Windsor and Maidenhead.",
    "other": "Minutes of the Health and Wellbeing Board, Solihull.",
}


def test_a_document_is_read_once_per_council_asked_about() -> None:
    reads: list[str] = []

    def read_text(doc_id: str) -> str:
        reads.append(doc_id)
        return TEXTS[doc_id]

    mentions = DocumentMentions(read_text)
    assert mentions.names_any("joint", ["Slough Borough Council"])
    assert mentions.names_any("joint", ["Slough Borough Council"])
    assert not mentions.names_any("other", ["Slough Borough Council"])
    assert mentions.names_any("joint", ["Surrey County Council", "Royal Borough of Windsor and Maidenhead"])
    assert not mentions.names_any("joint", ["Surrey County Council"])
    assert reads == ["joint", "other", "joint"]
