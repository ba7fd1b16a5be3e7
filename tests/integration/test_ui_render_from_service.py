"""The UI's rendering of a real answer: the real service over a real small index, asked through
``minutes_qa.client``, drawn by ``ui.render``.

The read path heads each meeting's sentences "Committee, date (Council): "; the UI must recognise
that heading and bold it whole, council included. A rendering test over hand-made answers cannot
catch the two drifting apart, because it writes both sides itself.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from html import escape

import pytest

from minutes_qa.client import MinutesClient
from minutes_qa.contract import AskResponse, Filters
from minutes_qa.index.embedding import Embedder
from minutes_qa.index.ingest import ingest
from minutes_qa.server.app import create_app
from minutes_qa.server.background import background_server
from minutes_qa.settings import Settings
from minutes_qa.ui.render import Turn, render_conversation
from support import SHARED_CORPUS

# Real minutes of three councils, with their sidecar metadata (council, committee, meeting date).
FILES = ("a01_bcp_hwb-quorum.txt", "a02_kent_shadow-hwb.txt", "a03_plymouth_hwb-strategy.txt")
# dev-a-003 of the shared dev questions; answered from the Plymouth minutes.
QUESTION = (
    "Who was asked to draft the wording in Plymouth's health and wellbeing framework on how it links to the "
    "other strategic partnerships?"
)
COUNCIL = "Plymouth City Council"


@pytest.fixture(scope="module")
def service_url(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[str]:
    corpus = tmp_path_factory.mktemp("council-corpus")
    dev = SHARED_CORPUS / "dev"
    for name in FILES:
        shutil.copy(dev / name, corpus / name)
    sidecar = [line for line in (dev / "sources.jsonl").read_text(encoding="utf-8").splitlines()
               if line.strip() and json.loads(line)["file"] in FILES]
    assert len(sidecar) == len(FILES)
    (corpus / "sources.jsonl").write_text("\n".join(sidecar) + "\n", encoding="utf-8")
    settings = Settings(index_dir=tmp_path_factory.mktemp("council-index"))
    ingest([corpus], settings.index.index_dir, settings, progress=False, embedder=embedder)
    with background_server(create_app(settings)) as base:
        yield base


@pytest.fixture(scope="module")
def answer(service_url: str) -> AskResponse:
    with MinutesClient(service_url, 120) as client:
        return client.ask(QUESTION)


def test_the_meeting_heading_of_a_real_answer_is_bolded_with_its_council(service_url: str, answer: AskResponse) -> None:
    ending = f"({COUNCIL}): "
    assert not answer.abstained and ending in answer.answer, answer.answer
    paragraph = next(part for part in answer.answer.split("\n\n") if ending in part)
    heading = paragraph[: paragraph.index(ending) + len(ending) - 2]

    html = render_conversation([Turn(QUESTION, Filters(), answer=answer)], service_url)

    assert f'<strong class="mqa-meeting">{escape(heading)}:</strong> ' in html, html
