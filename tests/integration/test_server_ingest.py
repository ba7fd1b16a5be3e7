"""Administrator uploads into the live index, over a real server on 127.0.0.1.

One server for the module, over a small index the tests add to; tests that expect nothing to
change compare the index generation before and after.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from minutes_qa.index.embedding import shared_embedder
from minutes_qa.index.ingest import ingest
from minutes_qa.server.app import create_app
from minutes_qa.server.background import background_server
from minutes_qa.server.uploads import UploadService, uploads_dir
from minutes_qa.settings import Settings
from support import REPO

SAMPLE = REPO / "sample" / "corpus"
TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MAX_UPLOAD = 32_000
NEW_MINUTES = """Meeting: 14/09/2023 - Environment Scrutiny Committee (Item 4)

4 Quokka Meadow rewilding scheme

Minutes:

The committee considered the Quokka Meadow rewilding scheme, which would convert twelve hectares of
council farmland into wildflower meadow and wetland. Members asked about grazing, footpaths and the
cost of fencing, and the officer confirmed that the scheme was funded by a biodiversity grant.

RESOLVED: that the Quokka Meadow rewilding scheme be approved.
"""


# Every test runs on each store (tests/conftest.py): uploads ingest through the service into either.
EVERY_STORE = True


@dataclass(frozen=True)
class Service:
    client: httpx.Client
    uploads: UploadService
    settings: Settings

    def generation(self) -> int:
        return self.client.get("/health").json()["index"]["generation"]

    def upload(self, *files: tuple[str, bytes], headers: dict[str, str] | None = None) -> httpx.Response:
        return self.client.post(
            "/documents", files=[("files", (name, content)) for name, content in files],
            headers=AUTH if headers is None else headers,
        )


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> Iterator[Service]:
    root = tmp_path_factory.mktemp("server-ingest")
    settings = settings.replace(index_dir=root / "index", admin_token=TOKEN, max_upload_bytes=MAX_UPLOAD)
    embedder = shared_embedder(settings.embedding)
    seed = [SAMPLE / "000_8587a590a89dd507.txt", SAMPLE / "003_f76c7aff191b9b00.txt"]
    ingest(seed, settings.index.index_dir, settings, progress=False, embedder=embedder)
    app = create_app(settings)
    with background_server(app) as base, httpx.Client(base_url=base, timeout=120) as client:
        yield Service(client, app.state.uploads, settings)


def _uploaded_files(settings: Settings) -> set[str]:
    folder = uploads_dir(settings.index.index_dir)
    return {path.name for path in folder.iterdir() if path.is_file()} if folder.exists() else set()


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({}, 401, "Authorization: Bearer"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 401, "Authorization: Bearer"),
        ({"Authorization": "Bearer wrong-token"}, 403, "not valid"),
    ],
)
def test_upload_needs_the_admin_token(service: Service, headers: dict[str, str], status: int, message: str) -> None:
    before = service.generation()
    response = service.upload(("minutes.txt", NEW_MINUTES.encode()), headers=headers)
    assert response.status_code == status
    assert message in response.json()["detail"]
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"
    assert service.generation() == before


@pytest.mark.parametrize(
    ("files", "status", "message"),
    [
        ([("minutes.docx", b"PK\x03\x04 word")], 415, "unsupported file type ('.docx')"),
        ([("minutes", b"text")], 415, "no suffix"),
        ([("big.txt", b"minutes " * (MAX_UPLOAD // 8 + 1))], 413, "over the upload limit"),
        ([("binary.txt", b"\x00\x01\x02" * 100)], 422, "binary"),
        ([("empty.html", b"   ")], 422, "empty"),
        ([("good.txt", NEW_MINUTES.encode()), ("scanned.pdf", b"%PDF-1.4 broken")], 422, "scanned.pdf"),
        ([("same.txt", b"one"), ("same.txt", b"two")], 400, "sent twice"),
        ([("...", b"text")], 400, "unusable"),
    ],
)
def test_refused_uploads_change_nothing(service: Service, files: list, status: int, message: str) -> None:
    before = (service.generation(), _uploaded_files(service.settings), service.client.get("/documents").json())
    response = service.upload(*files)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]
    assert (service.generation(), _uploaded_files(service.settings), service.client.get("/documents").json()) == before


def test_upload_without_files_is_a_400(service: Service) -> None:
    response = service.client.post("/documents", data={"note": "no files"}, headers=AUTH)
    assert response.status_code == 400
    assert "field 'files'" in response.json()["detail"]


def test_second_upload_during_an_ingest_gets_409(service: Service) -> None:
    with service.uploads.exclusive():  # stands in for an ingest in progress
        assert service.client.get("/health").json()["ingesting"] is True
        response = service.upload(("minutes.txt", NEW_MINUTES.encode()))
    assert response.status_code == 409
    assert response.headers["retry-after"]
    assert "Another upload" in response.json()["detail"]


def test_ingest_while_queries_run(service: Service) -> None:
    before = service.client.get("/health").json()["index"]
    failures: list[str] = []
    served = 0
    stop = threading.Event()

    def query_until_stopped(path: str, params: dict[str, str]) -> None:
        nonlocal served
        while not stop.is_set():
            response = service.client.get(path, params=params)
            if response.status_code != 200:
                failures.append(f"{path}: {response.status_code} {response.text}")
            served += 1

    threads = [
        threading.Thread(target=query_until_stopped, args=("/search", {"q": "rewilding meadow", "k": "3"})),
        threading.Thread(target=query_until_stopped, args=("/documents", {})),
    ]
    for thread in threads:
        thread.start()
    try:
        response = service.upload(("quokka-meadow.txt", NEW_MINUTES.encode()))
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert response.status_code == 200, response.text
    assert not failures
    assert served > 2
    report = response.json()
    assert report["added"] == ["quokka-meadow.txt"]
    assert report["failed"] == [] and report["updated"] == [] and report["unchanged"] == []
    assert report["documents"] == before["documents"] + 1

    after = service.client.get("/health").json()["index"]
    assert after["documents"] == before["documents"] + 1
    assert after["generation"] == before["generation"] + 1
    top = service.client.get("/search", params={"q": "Quokka Meadow rewilding", "k": 1}).json()["passages"][0]
    assert top["source"]["file"] == "quokka-meadow.txt"
    assert top["source"]["committee"] == "Environment Scrutiny Committee"
    assert "quokka-meadow.txt" in {doc["file"] for doc in service.client.get("/documents").json()}
    assert "quokka-meadow.txt" in _uploaded_files(service.settings)


def test_reupload_unchanged_then_updated(service: Service) -> None:
    service.upload(("reupload.txt", NEW_MINUTES.encode()))
    generation = service.generation()

    again = service.upload(("reupload.txt", NEW_MINUTES.encode()))
    assert again.status_code == 200
    assert again.json()["unchanged"] == ["reupload.txt"]
    assert service.generation() == generation

    changed = NEW_MINUTES.replace("twelve hectares", "fifteen hectares")
    updated = service.upload(("reupload.txt", changed.encode()))
    assert updated.status_code == 200
    assert updated.json()["updated"] == ["reupload.txt"]
    assert service.generation() == generation + 1


def test_failed_reupload_keeps_the_previous_file(service: Service) -> None:
    service.upload(("keeper.txt", NEW_MINUTES.encode()))
    response = service.upload(("keeper.txt", b"\x00" * 64))
    assert response.status_code == 422
    kept = uploads_dir(service.settings.index.index_dir) / "keeper.txt"
    assert kept.read_text(encoding="utf-8") == NEW_MINUTES


def test_client_file_names_cannot_escape_the_uploads_folder(service: Service) -> None:
    response = service.upload(("../../escape.txt", NEW_MINUTES.replace("Quokka", "Wombat").encode()))
    assert response.status_code == 200, response.text
    assert response.json()["added"] == ["escape.txt"]
    assert (uploads_dir(service.settings.index.index_dir) / "escape.txt").exists()
    assert not (service.settings.index.index_dir.parent / "escape.txt").exists()
