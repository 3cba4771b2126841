"""The Teams bot's settings: its Azure Bot registration."""

from __future__ import annotations

from pydantic import Field, SecretStr

from bot.settings import Section, env


class TeamsSettings(Section):
    app_id: str = Field("", validation_alias=env("MICROSOFT_APP_ID"))
    app_password: SecretStr | None = Field(None, validation_alias=env("MICROSOFT_APP_PASSWORD"))
    app_type: str = Field("SingleTenant", validation_alias=env("MICROSOFT_APP_TYPE"))
    app_tenant_id: str = Field("", validation_alias=env("MICROSOFT_APP_TENANT_ID"))
