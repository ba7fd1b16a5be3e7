"""Answer feedback kept in SQLite beside the index, and the answer ids that make it checkable.

Every ``POST /ask`` response carries an ``answer_id``: the index generation that answered, and an
HMAC of what was answered (question, reading, answer, citations, passages) under a key kept in
this database. Feedback must send the id back with the content it rates; the service recomputes
the HMAC, so feedback on an answer it never gave (or on altered text) is refused without the
service remembering any answer. The key never leaves the database file.

The database lives at ``MINUTES_FEEDBACK_DB``, by default ``<index_dir>/feedback.sqlite``: beside
the index generations, never inside one, so a re-ingest (which replaces generations) keeps it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from minutes_qa.contract import AskResponse, Citation
from minutes_qa.settings import Settings

DEFAULT_NAME = "feedback.sqlite"
# Matched whole (fullmatch: "$" would let a trailing newline through) and without leading zeros,
# so one answer has exactly one id.
_ANSWER_ID = re.compile(r"(?P<generation>0|[1-9]\d{0,8})-(?P<digest>[0-9a-f]{32})")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS signing_key (id INTEGER PRIMARY KEY CHECK (id = 1), key BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    answer_id TEXT NOT NULL,
    generation INTEGER NOT NULL,
    question TEXT NOT NULL,
    interpreted_as TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    passages TEXT NOT NULL,
    files TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT
);
CREATE INDEX IF NOT EXISTS feedback_received ON feedback(received_at);
"""


class FeedbackUnavailable(RuntimeError):
    """The feedback database cannot be opened or written; the message says where and why."""


def feedback_db_path(settings: Settings) -> Path:
    """Where feedback is kept: ``MINUTES_FEEDBACK_DB``, else ``<index_dir>/feedback.sqlite``."""
    return settings.service.feedback_db or settings.index.index_dir / DEFAULT_NAME


@dataclass(frozen=True)
class RatedAnswer:
    """What an answer id vouches for: the answer as ``POST /ask`` returned it."""

    question: str
    interpreted_as: str
    answer: str
    citations: tuple[Citation, ...]
    passages: tuple[str, ...]

    @classmethod
    def of(cls, response: AskResponse) -> RatedAnswer:
        return cls(
            question=response.question, interpreted_as=response.interpreted_as, answer=response.answer,
            citations=tuple(response.citations), passages=tuple(passage.id for passage in response.passages),
        )

    @property
    def abstained(self) -> bool:
        """An answer cites every sentence it gives, so one without citations is an abstention."""
        return not self.citations

    def canonical(self, generation: int) -> bytes:
        """One byte string per content: key order and spacing fixed, so the HMAC is reproducible."""
        content = {
            "generation": generation, "question": self.question, "interpreted_as": self.interpreted_as,
            "answer": self.answer, "citations": [[c.n, c.passage_id, c.quote] for c in self.citations],
            "passages": list(self.passages),
        }
        return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def answer_id(key: bytes, generation: int, rated: RatedAnswer) -> str:
    """'<generation>-<hmac>' for ``rated`` as answered from index generation ``generation``."""
    return f"{generation}-{_digest(key, generation, rated)}"


def verified_generation(key: bytes, claimed_id: str, rated: RatedAnswer) -> int | None:
    """The generation ``claimed_id`` names if it is the id of exactly ``rated``; otherwise None."""
    match = _ANSWER_ID.fullmatch(claimed_id)
    if match is None:
        return None
    generation = int(match["generation"])
    valid = hmac.compare_digest(match["digest"], _digest(key, generation, rated))
    return generation if valid else None


def _digest(key: bytes, generation: int, rated: RatedAnswer) -> str:
    return hmac.new(key, rated.canonical(generation), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class StoredFeedback:
    """One piece of feedback as kept: the rated answer, its rating, and the cited passages' files
    (by passage id; None where the document had left the index by the time feedback came)."""

    id: int
    received_at: datetime
    answer_id: str
    generation: int
    rated: RatedAnswer
    files: dict[str, str | None]
    rating: str
    comment: str | None


class FeedbackStore:
    """The feedback database: its signing key, and feedback appended and read back. Thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            created = not path.exists()
            self._db = sqlite3.connect(path, check_same_thread=False, timeout=10)
            if created:
                # The file holds the signing key: only the service's own user may read it.
                os.chmod(path, 0o600)
            with self._db:
                self._db.executescript(_SCHEMA)
                self._db.execute("INSERT OR IGNORE INTO signing_key VALUES (1, ?)", (secrets.token_bytes(32),))
            self.key: bytes = self._db.execute("SELECT key FROM signing_key").fetchone()[0]
        except (OSError, sqlite3.Error) as error:
            raise FeedbackUnavailable(
                f"The feedback database {path} cannot be opened ({error}). Make its folder writable, or set "
                f"MINUTES_FEEDBACK_DB to a writable file outside the index generations."
            ) from error

    @classmethod
    def open_existing(cls, path: Path) -> FeedbackStore:
        """The database at ``path``, which must exist already (commands that only read it)."""
        if not path.is_file():
            raise FeedbackUnavailable(
                f"No feedback database at {path}. The service creates it when the first answer is rated; "
                f"pass --index for another index, or set MINUTES_FEEDBACK_DB to where the service keeps it."
            )
        return cls(path)

    def add(
        self, claimed_id: str, generation: int, rated: RatedAnswer, files: dict[str, str | None], rating: str,
        comment: str | None, received_at: datetime | None = None,
    ) -> int:
        """Append one piece of feedback; returns its id."""
        when = (received_at or datetime.now(UTC)).isoformat(timespec="seconds")
        citations = [citation.model_dump() for citation in rated.citations]
        row = (
            when, claimed_id, generation, rated.question, rated.interpreted_as, rated.answer,
            json.dumps(citations, ensure_ascii=False), json.dumps(list(rated.passages), ensure_ascii=False),
            json.dumps(files, ensure_ascii=False), rating, comment,
        )
        try:
            with self._lock, self._db:
                cursor = self._db.execute(
                    "INSERT INTO feedback (received_at, answer_id, generation, question, interpreted_as, answer, "
                    "citations, passages, files, rating, comment) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    row,
                )
        except sqlite3.Error as error:
            raise FeedbackUnavailable(f"Feedback could not be written to {self.path} ({error}).") from error
        return int(cursor.lastrowid or 0)

    def entries(self) -> list[StoredFeedback]:
        """Every piece of feedback, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, received_at, answer_id, generation, question, interpreted_as, answer, citations, "
                "passages, files, rating, comment FROM feedback ORDER BY id"
            ).fetchall()
        return [_entry(row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _entry(row: tuple) -> StoredFeedback:
    (id_, received_at, claimed_id, generation, question, interpreted_as, answer, citations, passages, files,
     rating, comment) = row
    rated = RatedAnswer(
        question=question, interpreted_as=interpreted_as, answer=answer,
        citations=tuple(Citation.model_validate(item) for item in json.loads(citations)),
        passages=tuple(json.loads(passages)),
    )
    return StoredFeedback(
        id=id_, received_at=datetime.fromisoformat(received_at), answer_id=claimed_id, generation=generation,
        rated=rated, files=json.loads(files), rating=rating, comment=comment,
    )
