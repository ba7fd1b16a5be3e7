"""The service's declared retriever choices match the engine's."""

from __future__ import annotations

import typing

from minutes_qa.contract import RetrieverName
from minutes_qa.rag.retrieval import RETRIEVERS


def test_retriever_choices_match_the_engine() -> None:
    assert set(typing.get_args(RetrieverName)) == set(RETRIEVERS)
