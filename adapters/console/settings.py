"""The admin console's settings: where it is reached, sign-in links and sessions, and the
bearer token for scripts."""

from __future__ import annotations

from pydantic import Field, SecretStr

from bot.settings import Section, env


class ConsoleSettings(Section):
    public_url: str = Field("", validation_alias=env("DESKMATE_PUBLIC_URL"))
    admin_token: SecretStr | None = Field(None, validation_alias=env("DESKMATE_ADMIN_TOKEN"))
    admin_link_minutes: int = Field(
        10, ge=1, le=60, validation_alias=env("DESKMATE_ADMIN_LINK_MINUTES")
    )
    admin_session_hours: int = Field(
        8, ge=1, le=168, validation_alias=env("DESKMATE_ADMIN_SESSION_HOURS")
    )
