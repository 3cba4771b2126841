"""The whole service's settings: the engine's sections and the chat platforms' own."""

from __future__ import annotations

from adapters.slack.settings import SlackSettings
from adapters.teams.settings import TeamsSettings
from bot.settings import Settings


class AppSettings(Settings):
    slack: SlackSettings
    teams: TeamsSettings
