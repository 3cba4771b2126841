from pathlib import Path

import pytest
from pydantic import ValidationError

from adapters.settings import AppSettings
from bot.settings import Settings


def test_defaults_need_no_credentials() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    assert settings.store.database_url == ""
    assert settings.store.data_dir == Path(".deskmate")
    assert settings.models.embeddings == "local"
    assert not settings.models.llm_configured


def test_settings_come_from_the_documented_environment_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DESKMATE_EMBEDDINGS", "openai:text-embedding-3-small")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-123")
    monkeypatch.setenv("DESKMATE_ADMINS", "U1, U2 ,")

    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    assert settings.models.embeddings == "openai:text-embedding-3-small"
    assert settings.models.llm_configured
    assert settings.serve.admin_ids == {"U1", "U2"}
    assert "sk-123" not in repr(settings)  # secrets are masked


def test_an_unknown_embedding_model_is_refused_with_a_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DESKMATE_EMBEDDINGS", "bert")

    with pytest.raises(ValidationError, match=r"must be 'local' .*'local-torch' or 'openai:"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_every_setting_is_documented_in_env_example() -> None:
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    documented = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line}

    names = AppSettings.env_names()

    assert len(names) > 50
    assert names <= documented, names - documented
