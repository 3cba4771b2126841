"""The one typed settings object, read from the environment and `.env`."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_EMBEDDINGS = ("local", "local-onnx-fp32", "local-torch")


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Every setting Deskmate reads. `.env.example` documents each one."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # Storage
    database_url: str = Field("", validation_alias=_env("DATABASE_URL"))
    data_dir: Path = Field(Path(".deskmate"), validation_alias=_env("DESKMATE_DATA_DIR"))
    db_pool_size: int = Field(5, ge=1, validation_alias=_env("DESKMATE_DB_POOL_SIZE"))
    vector_type: Literal["vector", "halfvec"] = Field(
        "vector", validation_alias=_env("DESKMATE_VECTOR_TYPE")
    )
    hnsw_ef_search: int = Field(
        100, ge=10, le=1000, validation_alias=_env("DESKMATE_HNSW_EF_SEARCH")
    )

    # Knowledge sources and access
    sources_file: Path = Field(Path("sources.yaml"), validation_alias=_env("DESKMATE_SOURCES"))
    groups_file: Path = Field(Path("groups.yaml"), validation_alias=_env("DESKMATE_GROUPS"))
    admins: str = Field("", validation_alias=_env("DESKMATE_ADMINS"))

    # Confluence live sync (never in sources.yaml, never logged)
    confluence_email: str = Field("", validation_alias=_env("CONFLUENCE_EMAIL"))
    confluence_api_token: SecretStr | None = Field(
        None, validation_alias=_env("CONFLUENCE_API_TOKEN")
    )
    confluence_token: SecretStr | None = Field(None, validation_alias=_env("CONFLUENCE_TOKEN"))

    # Models
    embeddings: str = Field("local", validation_alias=_env("DESKMATE_EMBEDDINGS"))
    model_dir: Path | None = Field(None, validation_alias=_env("DESKMATE_MODEL_DIR"))
    embed_threads: int = Field(0, ge=0, validation_alias=_env("DESKMATE_EMBED_THREADS"))
    embed_batch_size: int = Field(0, ge=0, validation_alias=_env("DESKMATE_EMBED_BATCH_SIZE"))
    openai_api_key: SecretStr | None = Field(None, validation_alias=_env("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(None, validation_alias=_env("OPENAI_BASE_URL"))
    chat_model: str = Field("gpt-4o-mini", validation_alias=_env("DESKMATE_CHAT_MODEL"))
    llm_timeout: float = Field(30.0, gt=0, validation_alias=_env("DESKMATE_LLM_TIMEOUT"))
    llm_retries: int = Field(2, ge=0, validation_alias=_env("DESKMATE_LLM_RETRIES"))
    llm_rerank: bool = Field(False, validation_alias=_env("DESKMATE_LLM_RERANK"))
    tone_model: str | None = Field(None, validation_alias=_env("DESKMATE_TONE_MODEL"))
    tone_mode: Literal["rewrite", "direct"] = Field(
        "rewrite", validation_alias=_env("DESKMATE_TONE_MODE")
    )
    tone_file: Path = Field(Path("tone.yaml"), validation_alias=_env("DESKMATE_TONE_FILE"))

    # Retrieval
    top_k: int = Field(6, ge=1, le=50, validation_alias=_env("DESKMATE_TOP_K"))
    relevance_floor: float = Field(0.3, validation_alias=_env("DESKMATE_RELEVANCE_FLOOR"))
    max_chunks_per_document: int = Field(3, ge=1, validation_alias=_env("DESKMATE_MAX_PER_DOC"))
    retrieval_mode: Literal["hybrid", "vector", "keyword"] = Field(
        "hybrid", validation_alias=_env("DESKMATE_RETRIEVAL")
    )
    memory_turns: int = Field(6, ge=0, validation_alias=_env("DESKMATE_MEMORY_TURNS"))
    memory_ttl_hours: int = Field(72, ge=1, validation_alias=_env("DESKMATE_MEMORY_TTL_HOURS"))
    max_question_chars: int = Field(
        2000, ge=100, le=30_000, validation_alias=_env("DESKMATE_MAX_QUESTION_CHARS")
    )

    # Indexing limits: each one is checked per file and a file over it is reported with why
    parse_workers: int = Field(2, ge=1, le=32, validation_alias=_env("DESKMATE_PARSE_WORKERS"))
    parse_timeout: float = Field(120.0, gt=0, validation_alias=_env("DESKMATE_PARSE_TIMEOUT"))
    parse_memory_mb: int = Field(2048, ge=0, validation_alias=_env("DESKMATE_PARSE_MEMORY_MB"))
    max_file_mb: float = Field(200.0, gt=0, validation_alias=_env("DESKMATE_MAX_FILE_MB"))
    max_text_chars: int = Field(10_000_000, ge=1, validation_alias=_env("DESKMATE_MAX_TEXT_CHARS"))
    html_max_depth: int = Field(1000, ge=16, validation_alias=_env("DESKMATE_HTML_MAX_DEPTH"))
    zip_max_mb: float = Field(8192.0, gt=0, validation_alias=_env("DESKMATE_ZIP_MAX_MB"))
    zip_max_ratio: float = Field(200.0, ge=1, validation_alias=_env("DESKMATE_ZIP_MAX_RATIO"))
    zip_max_entries: int = Field(200_000, ge=1, validation_alias=_env("DESKMATE_ZIP_MAX_ENTRIES"))

    # Serving
    port: int = Field(3978, validation_alias=_env("DESKMATE_PORT"))
    log_format: Literal["text", "json"] = Field(
        "text", validation_alias=_env("DESKMATE_LOG_FORMAT")
    )
    log_level: str = Field("INFO", validation_alias=_env("DESKMATE_LOG_LEVEL"))
    reindex_cron: str = Field("0 2 * * *", validation_alias=_env("DESKMATE_REINDEX_CRON"))
    timezone: str = Field("UTC", validation_alias=_env("DESKMATE_TIMEZONE"))
    admin_channel: str = Field("", validation_alias=_env("DESKMATE_ADMIN_CHANNEL"))
    rate_limit_per_minute: int = Field(10, ge=1, validation_alias=_env("DESKMATE_RATE_LIMIT"))
    max_concurrent_answers: int = Field(
        4, ge=1, validation_alias=_env("DESKMATE_MAX_CONCURRENT_ANSWERS")
    )

    # Slack
    slack_bot_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_SIGNING_SECRET")
    )
    slack_app_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_api_url: str = Field("https://slack.com/api/", validation_alias=_env("SLACK_API_URL"))

    # Teams
    microsoft_app_id: str = Field("", validation_alias=_env("MICROSOFT_APP_ID"))
    microsoft_app_password: SecretStr | None = Field(
        None, validation_alias=_env("MICROSOFT_APP_PASSWORD")
    )
    microsoft_app_type: str = Field("SingleTenant", validation_alias=_env("MICROSOFT_APP_TYPE"))
    microsoft_app_tenant_id: str = Field("", validation_alias=_env("MICROSOFT_APP_TENANT_ID"))

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

    @cached_property
    def admin_ids(self) -> frozenset[str]:
        return frozenset(a.strip() for a in self.admins.split(",") if a.strip())

    @property
    def llm_configured(self) -> bool:
        return self.openai_api_key is not None and bool(self.openai_api_key.get_secret_value())

    @property
    def db_dir(self) -> Path:
        return self.data_dir / "postgres"

    @property
    def model_cache(self) -> Path:
        """Where the exported ONNX models are kept: DESKMATE_MODEL_DIR or `<data dir>/models`."""
        return self.model_dir or self.data_dir / "models"
