"""Feedback's pure parts: answer ids, the rate limiter, the export's reading of the question, counts and shown comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minutes_qa.cli.app import app as cli
from minutes_qa.cli.feedback_cli import shown_comment
from minutes_qa.cli.feedback_export import count_feedback, eval_record, question_type
from minutes_qa.contract import Citation
from minutes_qa.server.feedback import TokenBucket
from minutes_qa.server.feedback_store import RatedAnswer, StoredFeedback, answer_id, verified_generation


def test_cli_without_feedback_says_where_it_looked(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["feedback", "stats", "--index", str(tmp_path)])
    assert result.exit_code == 2
    assert "No feedback database at" in result.output and "MINUTES_FEEDBACK_DB" in result.output


RATED = RatedAnswer(
    question="And who proposed it?", interpreted_as="Who proposed the Kent shadow board?", answer="Mr Carter [1].",
    citations=(Citation(n=1, passage_id="kent:0001", quote="Mr Carter proposed"),), passages=("kent:0001", "x:0002"),
)


def test_answer_ids_are_keyed_and_name_their_generation() -> None:
    key, other_key = b"k" * 32, b"o" * 32
    issued = answer_id(key, 7, RATED)
    assert verified_generation(key, issued, RATED) == 7
    assert verified_generation(other_key, issued, RATED) is None  # nobody else can issue one
    assert verified_generation(key, issued.replace("7-", "8-", 1), RATED) is None
    reordered = RatedAnswer(**{**RATED.__dict__, "passages": ("x:0002", "kent:0001")})
    assert verified_generation(key, issued, reordered) is None


def test_an_answer_id_has_one_spelling() -> None:
    key = b"k" * 32
    issued = answer_id(key, 7, RATED)
    for variant in (issued + "\n", "0" + issued, issued.upper(), " " + issued):
        assert verified_generation(key, variant, RATED) is None, repr(variant)


def test_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(per_minute=6, burst=2, clock=lambda: now[0])
    assert bucket.take("a") is None and bucket.take("a") is None
    assert bucket.take("a") == pytest.approx(10.0)  # one token every 10 s
    assert bucket.take("b") is None  # per address
    now[0] = 9.0
    assert bucket.take("a") == pytest.approx(1.0)
    now[0] = 10.0
    assert bucket.take("a") is None


def _entry(rating: str, rated: RatedAnswer = RATED, files: dict | None = None, days_ago: float = 0,
           comment: str | None = None) -> StoredFeedback:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    return StoredFeedback(
        id=1, received_at=now - timedelta(days=days_ago), answer_id="7-" + "0" * 32, generation=7, rated=rated,
        files={"kent:0001": "kent.txt"} if files is None else files, rating=rating, comment=comment,
    )


def test_export_uses_the_reading_the_service_answered_and_never_invents_gold() -> None:
    good = eval_record(_entry("up"))
    assert good["question"] == "Who proposed the Kent shadow board?" and good["feedback"]["asked"] == "And who proposed it?"
    assert good["gold"] == [{"file": "kent.txt", "quote": "Mr Carter proposed"}] and good["type"] == "who"
    gone = eval_record(_entry("up", files={"kent:0001": None}))
    assert gone["gold"] == [] and "left the index" in gone["review"]
    assert eval_record(_entry("down"))["gold"] == []


def test_counts_split_by_rating_and_week() -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    entries = [_entry("up"), _entry("down", days_ago=8, comment="old"), _entry("down", days_ago=2, comment="new")]
    counts = count_feedback(entries, now)
    assert (counts.total, counts.up, counts.down, counts.with_comment) == (3, 1, 2, 2)
    assert (counts.last_7_days, counts.last_7_days_up, counts.last_7_days_down) == (2, 1, 1)


@pytest.mark.parametrize(
    ("question", "kind"),
    [("Who chaired the meeting?", "who"), ("When was the board set up?", "when"),
     ("How much did the scheme cost?", "how-much"), ("Did the cabinet approve the plan?", "yes-no"),
     ("What did the board say about workforce risk?", "summary")],
)
def test_question_type_is_read_from_the_wording(question: str, kind: str) -> None:
    assert question_type(question) == kind


def test_shown_comment_is_one_safe_line() -> None:
    assert shown_comment("a\nb\x1b[31m c") == "a b [31m c"
    assert len(shown_comment("y" * 500)) == 200
