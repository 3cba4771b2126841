"""Scheduled jobs refuse a cron line they cannot read, naming the setting to fix."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import ConfigError
from bot.settings import InsightsSettings
from indexer.scheduler import cron_trigger


def test_a_bad_digest_cron_names_its_setting() -> None:
    with pytest.raises(ConfigError, match="DESKMATE_DIGEST_CRON='every monday'"):
        cron_trigger("every monday", "UTC", "DESKMATE_DIGEST_CRON")


def test_the_default_digest_cron_is_monday_morning() -> None:
    cron = InsightsSettings(_env_file=None).digest_cron  # type: ignore[call-arg]
    trigger = cron_trigger(cron, "UTC", "DESKMATE_DIGEST_CRON")
    tuesday = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)

    when = trigger.get_next_fire_time(None, tuesday)

    assert (when.weekday(), when.hour, when.day) == (0, 9, 7)  # the next Monday, 09:00
