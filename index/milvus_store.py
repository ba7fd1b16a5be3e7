"""The index in Milvus: generations as collections, switched atomically by repointing an alias.

Service processes need nothing local: every reader finds the live generation through the alias
(:mod:`index.milvus_schema`) and reads documents, passages, sentences and keyword statistics from
the engine, so any number of them can serve one index and all see an ingest once the alias moves.
A writer builds generation ``N + 1`` beside the live ``N``, flushes it (milvus-lite searches
unflushed rows slowly and with other BM25 statistics), and only then moves the alias; an ingest
that fails or is killed before that leaves ``N`` live, and its collections are dropped by the next
ingest. Generation ``N`` itself is dropped one ingest later, so readers that opened it just before
the switch can finish.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pymilvus import MilvusClient

from . import milvus_schema as schema
from .errors import IndexNotFound, WritePathError
from .keywords import keyword_tokens
from .milvus_filters import combine, day_number
from .pause_hook import pause_at
from .records import Chunk, Document, DocumentMetadata, PageSpan
from .sentence_store import VECTOR_DTYPE, DocumentSentences
from .store import IndexContents, Manifest, with_counts, writer_lock

if TYPE_CHECKING:
    from .milvus_reader import MilvusReader

DEFAULT_NAME = "minutes"
_LITE_FILE = "milvus.db"
# Rows per insert: well under gRPC's 64 MB message limit at ~6 kB a passage.
_INSERT_ROWS = 1_000
# Rows per query when a reader or incremental ingest reads a collection whole: within a server's
# 16,384-row limit on a query's results.
_READ_ROWS = 4_000
# pymilvus pings an idle connection every 10 s; milvus-lite's gRPC server keeps gRPC's default policy
# (no pings without calls within 5 minutes) and after three answers GOAWAY "too many pings", which broke
# every client of that server in the process (measured: one client idle 45 s, then a new one fails to
# connect). Pings during calls still detect a dead server.
_GRPC_OPTIONS = {"grpc.keepalive_permit_without_calls": 0}
# Documents per query when their text is read too: ~0.1-1 MB each, in a reply of at most 64 MB.
_TEXT_DOCUMENTS = 50


class MilvusStore:
    """The :class:`index.backend.Store` of one index (collections prefixed ``name``) in a Milvus server or milvus-lite."""

    def __init__(self, uri: str, name: str, lock_dir: Path) -> None:
        self.uri = uri
        self.name = name
        self.location = f"{uri} (index '{name}')"
        self._lock_dir = lock_dir
        self.client = MilvusClient(uri, grpc_options=_GRPC_OPTIONS)

    @classmethod
    def from_setting(cls, setting: str, index_dir: Path) -> MilvusStore:
        """The store ``MINUTES_STORE=setting`` names; milvus-lite without a path keeps its data in ``index_dir``."""
        if setting.startswith("milvus://"):
            address, _, name = setting.removeprefix("milvus://").partition("/")
            if not address:
                raise WritePathError(f"MINUTES_STORE={setting!r} names no server: use milvus://HOST:PORT[/NAME].")
            return cls(f"http://{address}", _checked_name(name or DEFAULT_NAME, setting), index_dir)
        path = setting.removeprefix("milvus-lite").removeprefix(":")
        data = Path(path) if path else index_dir / _LITE_FILE
        # pymilvus starts milvus-lite only for a path ending in .db.
        if data.suffix != ".db":
            raise WritePathError(f"MINUTES_STORE={setting!r}: milvus-lite's data path must end in .db, e.g. milvus-lite:var/milvus.db")
        data.parent.mkdir(parents=True, exist_ok=True)
        return cls(str(data.resolve()), DEFAULT_NAME, index_dir)

    # --- reading the live generation ---------------------------------------------------------

    def live(self) -> str | None:
        """The live generation's meta collection name (the alias's target), or None before the first ingest."""
        alias = schema.live_alias(self.name)
        if alias not in self.client.list_aliases().get("aliases", []):
            return None
        return self.client.describe_alias(alias)["collection_name"]

    def live_generation(self) -> int | None:
        live = self.live()
        return schema.generation_of(live, self.name) if live else None

    def live_manifest(self) -> Manifest | None:
        number = self.live_generation()
        if number is None:
            return None
        self.ensure_loaded(number)
        return self.manifest(number)

    def ensure_loaded(self, generation: int) -> None:
        """Load ``generation``'s collections into the engine's memory if they are not: a server keeps
        them loaded, but milvus-lite reopens a data path with every collection released."""
        for kind in schema.KINDS:
            name = schema.collection(self.name, generation, kind)
            if self.client.get_load_state(name)["state"].name != "Loaded":
                self.client.load_collection(name)

    def manifest(self, generation: int) -> Manifest:
        rows = self.client.query(schema.collection(self.name, generation, "meta"), filter='key == "manifest"',
                                 output_fields=["value"])
        if not rows:
            raise IndexNotFound(f"Generation {generation} of {self.location} has no manifest: the index is damaged.")
        return Manifest(**json.loads(rows[0]["value"]))

    def open_reader(self) -> MilvusReader:
        from .milvus_reader import MilvusReader  # here: it imports this module

        number = self.live_generation()
        if number is None:
            raise IndexNotFound(
                f"No index at {self.location}. Build one with: minutes ingest PATH... (with the same MINUTES_STORE)"
            )
        self.ensure_loaded(number)
        return MilvusReader(self, number)

    def load_contents(self) -> IndexContents:
        """The whole live generation, read back from the engine, for an incremental ingest."""
        number = self.live_generation()
        if number is None:
            raise IndexNotFound(f"No index at {self.location}.")
        documents = self.documents(number, with_text=True)
        passages = sorted(self.scan(number, "passages", [*CHUNK_FIELDS, "dense"]), key=lambda row: row["id"])
        chunks = [chunk_of(row) for row in passages]
        dimension = self.manifest(number).dimension
        vectors = np.array([row["dense"] for row in passages], dtype=np.float32).reshape(-1, dimension)
        return IndexContents(documents=documents, chunks=chunks, vectors=vectors,
                             sentences=self._sentences(number, documents, dimension))

    def documents(self, generation: int, with_text: bool) -> list[Document]:
        """Every document of ``generation``, in order, with or without its text."""
        fields = ["doc_id", "position", "part", "metadata", *(["text"] if with_text else [])]
        # Pages of fewer documents when their text comes too: a page's text must fit one gRPC reply.
        rows = self.scan(generation, "documents", fields, "" if with_text else "part == 0", key="position",
                         page=_TEXT_DOCUMENTS if with_text else _READ_ROWS)
        rows.sort(key=lambda row: (row["position"], row["part"]))
        texts: dict[str, list[str]] = {}
        for row in rows:
            texts.setdefault(row["doc_id"], []).append(row.get("text", ""))
        return [document_of(row["metadata"], "".join(texts[row["doc_id"]])) for row in rows if row["part"] == 0]

    def scan(
        self, generation: int, kind: str, fields: list[str], where: str = "", key: str = "id", page: int = _READ_ROWS,
    ) -> list[dict[str, Any]]:
        """Every row of a collection of ``generation`` matching ``where``, with ``fields``.

        Read ``page`` values of the integer field ``key`` at a time: its values are consecutive from
        0 (rows, document positions), so the first empty page is the end. (pymilvus's query
        iterator needs a call that milvus-lite does not implement, and a query's offset and limit
        cannot reach past 16,384 rows.)
        """
        name = schema.collection(self.name, generation, kind)
        rows: list[dict[str, Any]] = []
        for first in itertools.count(0, page):
            window = f"{key} >= {first} and {key} < {first + page}"
            found = self.client.query(name, filter=combine(where, window), output_fields=fields)
            if not found:
                return rows
            rows.extend(found)
        raise AssertionError("unreachable: itertools.count never ends")

    def _sentences(self, generation: int, documents: list[Document], dimension: int) -> dict[str, DocumentSentences]:
        if not self.manifest(generation).sentence_vectors:
            return {}
        rows = sorted(self.scan(generation, "sentences", ["id", "doc_id", "span_start", "span_end", "vector"]),
                      key=lambda row: row["id"])
        by_doc: dict[str, list[dict[str, Any]]] = {doc.doc_id: [] for doc in documents}
        for row in rows:
            by_doc[row["doc_id"]].append(row)
        return {
            doc_id: DocumentSentences(
                np.array([[row["span_start"], row["span_end"]] for row in part], dtype=np.int32).reshape(-1, 2),
                np.array([row["vector"] for row in part], dtype=VECTOR_DTYPE).reshape(-1, dimension),
            )
            for doc_id, part in by_doc.items()
        }

    # --- writing a generation ----------------------------------------------------------------

    def writer_lock(self) -> AbstractContextManager[None]:
        # Milvus has no lock to take: ingests must come from one machine (the index directory's).
        return writer_lock(self._lock_dir)

    def write_generation(self, contents: IndexContents, manifest: Manifest) -> str:
        """Write ``contents`` as the next generation's collections, flush them, then repoint the alias."""
        live = self.live_generation()
        self._drop_generations(keep={live} if live is not None else set())
        number = (live or 0) + 1
        manifest = with_counts(manifest, contents, number)
        if contents.sentences:
            manifest = replace(manifest, sentence_vectors=VECTOR_DTYPE,
                               sentences=sum(len(part.spans) for part in contents.sentences.values()))
        else:
            manifest = replace(manifest, sentence_vectors="", sentences=0)
        schema.create_generation(self.client, self.name, number, manifest.dimension, manifest.index_type,
                                 len(contents.chunks))
        self._insert(number, "passages", _passage_rows(contents))
        pause_at("writing")  # a no-op unless a test sets MINUTES_TEST_PAUSE_AT (see pause_hook)
        self._insert(number, "documents", _document_rows(contents.documents))
        self._insert(number, "sentences", _sentence_rows(contents))
        self._insert(number, "terms", _term_rows(contents.chunks))
        for kind in ("passages", "documents", "sentences", "terms"):
            self.client.flush(schema.collection(self.name, number, kind))
        meta = schema.collection(self.name, number, "meta")
        self.client.insert(meta, [{"key": "manifest", "value": json.dumps(asdict(manifest)), "placeholder": schema.PLACEHOLDER}])
        self.client.flush(meta)
        alias = schema.live_alias(self.name)
        if live is None:
            self.client.create_alias(meta, alias)
        else:
            self.client.alter_alias(meta, alias)
        # The previous generation stays one round, for readers that opened it just before the switch.
        self._drop_generations(keep={number, live} if live is not None else {number})
        return meta

    def _insert(self, generation: int, kind: str, rows: Iterator[dict[str, Any]]) -> None:
        name = schema.collection(self.name, generation, kind)
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == _INSERT_ROWS:
                self.client.insert(name, batch)
                batch = []
        if batch:
            self.client.insert(name, batch)

    def _drop_generations(self, keep: set[int]) -> None:
        """Drop this index's collections of every generation not in ``keep`` (abandoned or superseded)."""
        for name in self.client.list_collections():
            number = schema.generation_of(name, self.name)
            if number is not None and number not in keep:
                self.client.drop_collection(name)

    def close(self) -> None:
        self.client.close()


# What a whole chunk is read back from.
CHUNK_FIELDS = ["id", "chunk_id", "doc_id", "ordinal", "span_start", "span_end", "text", "heading", "page",
                 "embed_text", "duplicate_of"]


def chunk_of(row: dict[str, Any]) -> Chunk:
    """A :class:`Chunk` from a passages row with :data:`CHUNK_FIELDS`."""
    return Chunk(
        chunk_id=row["chunk_id"], doc_id=row["doc_id"], ordinal=row["ordinal"], start=row["span_start"],
        end=row["span_end"], text=row["text"], heading=row["heading"],
        page=row["page"] if row["page"] >= 0 else None, embed_text=row["embed_text"],
        duplicate_of=row["duplicate_of"] or None,
    )


def document_of(metadata_json: str, text: str) -> Document:
    """A :class:`Document` from its stored metadata JSON and text."""
    values = json.loads(metadata_json)
    return Document(
        doc_id=values["doc_id"], file=values["file"], path=values["path"], content_hash=values["content_hash"],
        text=text, metadata=DocumentMetadata(**values["metadata"]),
        pages=tuple(PageSpan(**page) for page in values["pages"]),
    )


def _passage_rows(contents: IndexContents) -> Iterator[dict[str, Any]]:
    position = {doc.doc_id: index for index, doc in enumerate(contents.documents)}
    metadata = {doc.doc_id: doc for doc in contents.documents}
    row_of = {chunk.chunk_id: row for row, chunk in enumerate(contents.chunks)}
    # Tokenised a block at a time: the whole corpus's tokens at once would be a large list of lists.
    for first in range(0, len(contents.chunks), _INSERT_ROWS):
        block = contents.chunks[first : first + _INSERT_ROWS]
        for row, chunk, tokens in zip(range(first, first + len(block)), block,
                                      keyword_tokens([chunk.embed_text for chunk in block]), strict=True):
            doc = metadata[chunk.doc_id]
            yield {
                "id": row, "dense": contents.vectors[row].tolist(), "keywords": _checked(" ".join(tokens), chunk),
                "chunk_id": chunk.chunk_id, "doc_id": chunk.doc_id, "duplicate_of": chunk.duplicate_of or "",
                "text": _checked(chunk.text, chunk), "heading": _checked(chunk.heading, chunk),
                "embed_text": _checked(chunk.embed_text, chunk),
                "council": doc.metadata.council or "", "committee": doc.metadata.committee or "", "file": doc.file,
                "doc_position": position[chunk.doc_id], "ordinal": chunk.ordinal, "span_start": chunk.start,
                "span_end": chunk.end, "page": chunk.page if chunk.page is not None else -1,
                "canonical": row_of.get(chunk.duplicate_of, row) if chunk.duplicate_of else row,
                "meeting_day": day_number(doc.metadata.meeting_date), "has_date": doc.metadata.meeting_date is not None,
            }


def _document_rows(documents: Sequence[Document]) -> Iterator[dict[str, Any]]:
    for position, doc in enumerate(documents):
        metadata = json.dumps({
            "doc_id": doc.doc_id, "file": doc.file, "path": doc.path, "content_hash": doc.content_hash,
            "metadata": asdict(doc.metadata), "pages": [asdict(page) for page in doc.pages],
        })
        parts = [doc.text[first : first + schema.TEXT_PART] for first in range(0, len(doc.text), schema.TEXT_PART)] or [""]
        for part, text in enumerate(parts):
            yield {"key": f"{doc.doc_id}#{part}", "doc_id": doc.doc_id, "position": position, "part": part, "text": text,
                   "metadata": metadata if part == 0 else "", "placeholder": schema.PLACEHOLDER}


def _sentence_rows(contents: IndexContents) -> Iterator[dict[str, Any]]:
    row = 0
    for doc in contents.documents:
        part = contents.sentences.get(doc.doc_id)
        if part is None:
            continue
        vectors = np.asarray(part.vectors, dtype=np.float32)
        for (start, end), vector in zip(part.spans.tolist(), vectors, strict=True):
            yield {"id": row, "doc_id": doc.doc_id, "span_start": start, "span_end": end, "vector": vector.tolist()}
            row += 1


def _term_rows(chunks: Sequence[Chunk]) -> Iterator[dict[str, Any]]:
    """Each keyword token's document frequency: the idf the answer composer weighs words by."""
    frequency: dict[str, int] = {}
    for first in range(0, len(chunks), _INSERT_ROWS):
        for tokens in keyword_tokens([chunk.embed_text for chunk in chunks[first : first + _INSERT_ROWS]]):
            for token in set(tokens):
                frequency[token] = frequency.get(token, 0) + 1
    # A "word" over a kilobyte (a run of digits or underscores) does not fit the field; it is matched
    # by BM25 all the same, only the answer composer weighs it as an unseen word.
    kept = [(token, count) for token, count in frequency.items() if len(token.encode("utf-8")) <= schema.ID_LENGTH]
    for row, (token, count) in enumerate(kept):
        yield {"id": row, "token": token, "df": count, "placeholder": schema.PLACEHOLDER}


def _checked(text: str, chunk: Chunk) -> str:
    if len(text.encode("utf-8")) > schema.MAX_VARCHAR_BYTES:
        raise WritePathError(
            f"A passage of {chunk.doc_id} ({chunk.chunk_id}) is over Milvus's {schema.MAX_VARCHAR_BYTES:,}-byte text "
            "limit; lower MINUTES_CHUNK_MAX_TOKENS or use MINUTES_STORE=faiss."
        )
    return text


def _checked_name(name: str, setting: str) -> str:
    if not name.replace("_", "").isalnum() or not name[0].isalpha():
        raise WritePathError(
            f"MINUTES_STORE={setting!r}: the index name {name!r} must be letters, digits and underscores, starting "
            "with a letter (it prefixes Milvus collection names)."
        )
    return name
