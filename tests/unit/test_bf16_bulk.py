"""Batching and hardware detection of the bf16 ingest path (pure logic; no model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from minutes_qa.index.embedding.bf16_bulk import cpu_flags, has_bf16_matrix_units, token_budget_batches
from minutes_qa.settings import Settings


def test_batches_hold_at_most_the_budget_longest_first() -> None:
    lengths = [10, 200, 30, 200, 30, 30, 5]
    batches = token_budget_batches(lengths, max_tokens=400)
    assert sorted(row for batch in batches for row in batch) == list(range(len(lengths)))
    for batch in batches:
        assert lengths[batch[0]] == max(lengths[row] for row in batch)  # padded to its first text
        assert lengths[batch[0]] * len(batch) <= 400
    assert [lengths[batch[0]] for batch in batches] == sorted((lengths[batch[0]] for batch in batches), reverse=True)
    assert batches[0] == [1, 3]  # the two long passages together, then the short ones packed
    assert batches[1] == [2, 4, 5, 0, 6]


def test_a_text_over_the_budget_goes_alone() -> None:
    assert token_budget_batches([500, 20, 20], max_tokens=100) == [[0], [1, 2]]


def test_nothing_to_batch() -> None:
    assert token_budget_batches([], max_tokens=100) == []


@pytest.mark.parametrize(
    ("flags", "native"),
    [({"avx512f", "amx_bf16", "amx_tile"}, True), ({"avx512f", "avx512_bf16"}, True), ({"avx512f", "avx2"}, False), (set(), False)],
)
def test_bf16_is_native_only_with_bf16_matrix_units(flags: set[str], native: bool) -> None:
    assert has_bf16_matrix_units(flags) is native


def test_cpu_flags_are_read_from_cpuinfo(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx512f amx_bf16\nbugs\t\t: spectre\n", encoding="utf-8")
    assert cpu_flags(cpuinfo) == {"fpu", "avx512f", "amx_bf16"}
    assert cpu_flags(tmp_path / "absent") == set()


def test_ingest_precision_is_a_setting_with_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().embedding.ingest_precision == "auto"
    monkeypatch.setenv("MINUTES_INGEST_PRECISION", "fp32")
    assert Settings().embedding.ingest_precision == "fp32"
    monkeypatch.setenv("MINUTES_INGEST_PRECISION", "fp8")
    with pytest.raises(ValueError, match="ingest_precision"):
        Settings()
