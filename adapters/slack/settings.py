"""The Slack app's settings: its tokens and the Web API it talks to."""

from __future__ import annotations

from pydantic import Field, SecretStr

from bot.settings import Section, env


class SlackSettings(Section):
    bot_token: SecretStr | None = Field(None, validation_alias=env("SLACK_BOT_TOKEN"))
    signing_secret: SecretStr | None = Field(None, validation_alias=env("SLACK_SIGNING_SECRET"))
    app_token: SecretStr | None = Field(None, validation_alias=env("SLACK_APP_TOKEN"))
    api_url: str = Field("https://slack.com/api/", validation_alias=env("SLACK_API_URL"))
