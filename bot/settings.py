"""The typed settings, one section per concern, read from the environment and `.env`.

Each section is read on its own (`StoreSettings()`), and each component receives only its
section: the store its `store`, the chat model its `models`, the retriever its `retrieval`.
The environment names are flat and stable (`DATABASE_URL`, `DESKMATE_TOP_K`); `.env.example`
documents each one. The chat platforms' sections live with their adapters
(`adapters/settings.py` adds them to the whole).

`Settings(top_k=3, data_dir=...)` takes flat values too, each routed to the section that owns
the field, so a test or a command-line option can set one value without knowing the layout.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_EMBEDDINGS = ("local", "local-onnx-fp32", "local-torch")


def env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Section(BaseSettings):
    """One concern's settings: read from the environment and `.env` under their flat names."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    @classmethod
    def flat_names(cls) -> dict[str, str]:
        """Each flat key this section answers to (field name, lower-cased env name): field."""
        names: dict[str, str] = {}
        for name, field in cls.model_fields.items():
            names[name] = name
            if isinstance(field.validation_alias, AliasChoices):
                for alias in field.validation_alias.choices:
                    names.setdefault(str(alias).lower(), name)
        return names

    @classmethod
    def env_names(cls) -> set[str]:
        return {
            str(alias)
            for field in cls.model_fields.values()
            if isinstance(field.validation_alias, AliasChoices)
            for alias in field.validation_alias.choices
        }


class StoreSettings(Section):
    database_url: str = Field("", validation_alias=env("DATABASE_URL"))
    data_dir: Path = Field(Path(".deskmate"), validation_alias=env("DESKMATE_DATA_DIR"))
    db_pool_size: int = Field(5, ge=1, validation_alias=env("DESKMATE_DB_POOL_SIZE"))
    vector_type: Literal["vector", "halfvec"] = Field(
        "vector", validation_alias=env("DESKMATE_VECTOR_TYPE")
    )
    hnsw_ef_search: int = Field(
        100, ge=10, le=1000, validation_alias=env("DESKMATE_HNSW_EF_SEARCH")
    )

    @property
    def db_dir(self) -> Path:
        return self.data_dir / "postgres"


class SourceSettings(Section):
    """Where the knowledge comes from and who may see it."""

    sources_file: Path = Field(Path("sources.yaml"), validation_alias=env("DESKMATE_SOURCES"))
    groups_file: Path = Field(Path("groups.yaml"), validation_alias=env("DESKMATE_GROUPS"))
    # Confluence live sync (never in sources.yaml, never logged)
    confluence_email: str = Field("", validation_alias=env("CONFLUENCE_EMAIL"))
    confluence_api_token: SecretStr | None = Field(
        None, validation_alias=env("CONFLUENCE_API_TOKEN")
    )
    confluence_token: SecretStr | None = Field(None, validation_alias=env("CONFLUENCE_TOKEN"))


class ModelSettings(Section):
    """The embedding model, the chat model and the tone model."""

    embeddings: str = Field("local", validation_alias=env("DESKMATE_EMBEDDINGS"))
    model_dir: Path | None = Field(None, validation_alias=env("DESKMATE_MODEL_DIR"))
    embed_threads: int = Field(0, ge=0, validation_alias=env("DESKMATE_EMBED_THREADS"))
    embed_batch_size: int = Field(0, ge=0, validation_alias=env("DESKMATE_EMBED_BATCH_SIZE"))
    openai_api_key: SecretStr | None = Field(None, validation_alias=env("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(None, validation_alias=env("OPENAI_BASE_URL"))
    chat_model: str = Field("gpt-4o-mini", validation_alias=env("DESKMATE_CHAT_MODEL"))
    llm_timeout: float = Field(30.0, gt=0, validation_alias=env("DESKMATE_LLM_TIMEOUT"))
    llm_retries: int = Field(2, ge=0, validation_alias=env("DESKMATE_LLM_RETRIES"))
    tone_model: str | None = Field(None, validation_alias=env("DESKMATE_TONE_MODEL"))
    tone_mode: Literal["rewrite", "direct"] = Field(
        "rewrite", validation_alias=env("DESKMATE_TONE_MODE")
    )
    tone_file: Path = Field(Path("tone.yaml"), validation_alias=env("DESKMATE_TONE_FILE"))

    @field_validator("embeddings")
    @classmethod
    def _check_embeddings(cls, value: str) -> str:
        if value in LOCAL_EMBEDDINGS or value.startswith("openai:") or value == "fake":
            return value
        raise ValueError(
            "DESKMATE_EMBEDDINGS must be 'local' (ONNX int8), 'local-onnx-fp32', 'local-torch' "
            "or 'openai:<model>'"
        )

    @field_validator("model_dir", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def llm_configured(self) -> bool:
        return self.openai_api_key is not None and bool(self.openai_api_key.get_secret_value())


class RetrievalSettings(Section):
    """How passages are found, and how much of a conversation is remembered."""

    top_k: int = Field(6, ge=1, le=50, validation_alias=env("DESKMATE_TOP_K"))
    relevance_floor: float = Field(0.3, validation_alias=env("DESKMATE_RELEVANCE_FLOOR"))
    max_chunks_per_document: int = Field(5, ge=1, validation_alias=env("DESKMATE_MAX_PER_DOC"))
    retrieval_mode: Literal["hybrid", "vector", "keyword"] = Field(
        "hybrid", validation_alias=env("DESKMATE_RETRIEVAL")
    )
    # a second pass by the chat model over twice as many candidates
    llm_rerank: bool = Field(False, validation_alias=env("DESKMATE_LLM_RERANK"))
    memory_turns: int = Field(6, ge=0, validation_alias=env("DESKMATE_MEMORY_TURNS"))
    memory_ttl_hours: int = Field(72, ge=1, validation_alias=env("DESKMATE_MEMORY_TTL_HOURS"))
    max_question_chars: int = Field(
        2000, ge=100, le=30_000, validation_alias=env("DESKMATE_MAX_QUESTION_CHARS")
    )


class IndexingSettings(Section):
    """Indexing limits: each one is checked per file, and a file over it is reported with why."""

    parse_workers: int = Field(2, ge=1, le=32, validation_alias=env("DESKMATE_PARSE_WORKERS"))
    parse_timeout: float = Field(120.0, gt=0, validation_alias=env("DESKMATE_PARSE_TIMEOUT"))
    parse_memory_mb: int = Field(2048, ge=0, validation_alias=env("DESKMATE_PARSE_MEMORY_MB"))
    max_file_mb: float = Field(200.0, gt=0, validation_alias=env("DESKMATE_MAX_FILE_MB"))
    max_text_chars: int = Field(10_000_000, ge=1, validation_alias=env("DESKMATE_MAX_TEXT_CHARS"))
    html_max_depth: int = Field(1000, ge=16, validation_alias=env("DESKMATE_HTML_MAX_DEPTH"))
    zip_max_mb: float = Field(8192.0, gt=0, validation_alias=env("DESKMATE_ZIP_MAX_MB"))
    zip_max_ratio: float = Field(200.0, ge=1, validation_alias=env("DESKMATE_ZIP_MAX_RATIO"))
    zip_max_entries: int = Field(200_000, ge=1, validation_alias=env("DESKMATE_ZIP_MAX_ENTRIES"))


class ServeSettings(Section):
    """The long-running service: port, logs, schedule, admins, load limits."""

    port: int = Field(3978, validation_alias=env("DESKMATE_PORT"))
    log_format: Literal["text", "json"] = Field("text", validation_alias=env("DESKMATE_LOG_FORMAT"))
    log_level: str = Field("INFO", validation_alias=env("DESKMATE_LOG_LEVEL"))
    reindex_cron: str = Field("0 2 * * *", validation_alias=env("DESKMATE_REINDEX_CRON"))
    timezone: str = Field("UTC", validation_alias=env("DESKMATE_TIMEZONE"))
    admins: str = Field("", validation_alias=env("DESKMATE_ADMINS"))
    admin_channel: str = Field("", validation_alias=env("DESKMATE_ADMIN_CHANNEL"))
    rate_limit_per_minute: int = Field(10, ge=1, validation_alias=env("DESKMATE_RATE_LIMIT"))
    max_concurrent_answers: int = Field(
        4, ge=1, validation_alias=env("DESKMATE_MAX_CONCURRENT_ANSWERS")
    )

    @cached_property
    def admin_ids(self) -> frozenset[str]:
        return frozenset(a.strip() for a in self.admins.split(",") if a.strip())


# --- Insights (issue 17) ---------------------------------------------------------------------
class InsightsSettings(Section):
    """The question log insights read: how long it is kept, whether askers are stored, and
    when the weekly digest goes to the admins."""

    question_log_days: int = Field(90, ge=1, validation_alias=env("DESKMATE_QUESTION_LOG_DAYS"))
    store_askers: bool = Field(True, validation_alias=env("DESKMATE_STORE_ASKERS"))
    digest_cron: str = Field("0 9 * * mon", validation_alias=env("DESKMATE_DIGEST_CRON"))


# --- end of insights ---------------------------------------------------------------------------


class Settings(BaseModel):
    """Every setting the engine and the indexer read, by section."""

    model_config = ConfigDict(frozen=True)

    store: StoreSettings
    sources: SourceSettings
    models: ModelSettings
    retrieval: RetrievalSettings
    indexing: IndexingSettings
    serve: ServeSettings
    insights: InsightsSettings

    @model_validator(mode="before")
    @classmethod
    def _sections_from_flat_values(cls, data: Any) -> Any:
        """Flat values (`top_k=3`) go to the section that owns them; `_env_file` to every
        section; a section not given is read from the environment."""
        if not isinstance(data, dict):
            return data
        values = dict(data)
        env_file = values.pop("_env_file", ".env")
        sections: dict[str, Any] = {}
        for name, kind in cls.sections().items():
            given = values.pop(name, None)
            owned = kind.flat_names()
            mine = {owned[k]: values.pop(k) for k in list(values) if k in owned}
            if isinstance(given, Section) and not mine:
                sections[name] = given
                continue
            base = given.model_dump() if isinstance(given, Section) else dict(given or {})
            sections[name] = kind(_env_file=env_file, **{**base, **mine})  # type: ignore[call-arg]
        if values:
            raise ValueError(f"unknown settings: {', '.join(sorted(values))}")
        return sections

    def replace(self, **values: Any) -> Self:
        """A copy with some flat values changed, validated like the originals."""
        current = {name: getattr(self, name) for name in self.sections()}
        return type(self)(**current, **values)

    @classmethod
    def env_names(cls) -> set[str]:
        """Every environment name a section reads."""
        return {name for kind in cls.sections().values() for name in kind.env_names()}

    @classmethod
    def sections(cls) -> dict[str, type[Section]]:
        return {
            name: field.annotation
            for name, field in cls.model_fields.items()
            if isinstance(field.annotation, type) and issubclass(field.annotation, Section)
        }

    @property
    def model_cache(self) -> Path:
        """Where the exported ONNX models are kept: DESKMATE_MODEL_DIR or `<data dir>/models`."""
        return self.models.model_dir or self.store.data_dir / "models"
