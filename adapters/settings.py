"""The whole service's settings: the engine's sections, the chat platforms' own and the admin
console's."""

from __future__ import annotations

from adapters.chat.settings import NativeSettings
from adapters.console.settings import ConsoleSettings
from adapters.slack.settings import SlackSettings
from adapters.teams.settings import TeamsSettings
from bot.settings import Settings


class AppSettings(Settings):
    slack: SlackSettings
    teams: TeamsSettings
    native: NativeSettings
    console: ConsoleSettings
