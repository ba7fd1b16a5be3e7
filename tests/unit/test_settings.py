"""The settings: one section per layer, every field still set by its own MINUTES_* name."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from minutes_qa.settings import (
    AnswerSettings,
    EmbeddingSettings,
    IndexSettings,
    RetrievalSettings,
    ServiceSettings,
    Settings,
    UiSettings,
)


def test_each_section_is_its_layers_type() -> None:
    settings = Settings()
    assert isinstance(settings.embedding, EmbeddingSettings)
    assert isinstance(settings.index, IndexSettings)
    assert isinstance(settings.retrieval, RetrievalSettings)
    assert isinstance(settings.answer, AnswerSettings)
    assert isinstance(settings.service, ServiceSettings)
    assert isinstance(settings.ui, UiSettings)


def test_no_field_name_is_in_two_sections() -> None:
    """A MINUTES_* variable must name one field only."""
    sections = [EmbeddingSettings, IndexSettings, RetrievalSettings, AnswerSettings, ServiceSettings, UiSettings]
    names = [name for section in sections for name in section.model_fields]
    assert len(names) == len(set(names))


def test_environment_variables_keep_their_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINUTES_INDEX_DIR", "/srv/minutes-index")
    monkeypatch.setenv("MINUTES_MAX_K", "20")
    monkeypatch.setenv("MINUTES_ABSTAIN_THRESHOLD", "0.5")
    monkeypatch.setenv("MINUTES_API_URL", "http://minutes.internal:8000")
    monkeypatch.setenv("MINUTES_EVIDENCE_WEIGHTS", '{"support": 2.0, "intercept": -1.0}')
    settings = Settings()
    assert settings.index.index_dir == Path("/srv/minutes-index")
    assert settings.retrieval.max_k == 20
    assert settings.answer.abstain_threshold == 0.5
    assert settings.answer.evidence_weights == {"support": 2.0, "intercept": -1.0}
    assert settings.ui.api_url == "http://minutes.internal:8000"


def test_fields_given_by_name_go_to_their_section_and_the_rest_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MINUTES_DEFAULT_K", "7")
    settings = Settings(index_dir=Path("/tmp/index"), max_k=20, admin_token="secret")
    assert settings.index.index_dir == Path("/tmp/index")
    assert settings.retrieval.max_k == 20 and settings.retrieval.default_k == 7
    assert settings.service.admin_token == "secret"


def test_replace_changes_only_what_it_names_and_validates() -> None:
    settings = Settings(max_k=20)
    changed = settings.replace(index_dir=Path("/tmp/other"), rerank_weight=0.0)
    assert changed.index.index_dir == Path("/tmp/other") and changed.retrieval.rerank_weight == 0.0
    assert changed.retrieval.max_k == 20 and settings.retrieval.rerank_weight != 0.0
    with pytest.raises(ValidationError, match="less than or equal to 200"):
        settings.replace(max_k=1000)


@pytest.mark.parametrize("call", [lambda: Settings(max_kk=3), lambda: Settings().replace(max_kk=3)])
def test_an_unknown_setting_is_refused_by_name(call) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="unknown settings: max_kk"):
        call()
