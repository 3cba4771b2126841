"""The nightly re-index: APScheduler wired to "run the pipeline", nothing more.

Every replica schedules the job; the run's cluster-wide lock lets exactly one of them work.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from bot.errors import ConfigError

log = logging.getLogger(__name__)

MISFIRE_GRACE_S = 3600
JOB_ID = "reindex"


def cron_trigger(cron: str, timezone: str, setting: str = "DESKMATE_REINDEX_CRON") -> CronTrigger:
    try:
        return CronTrigger.from_crontab(cron, timezone=timezone)
    except (ValueError, LookupError) as exc:
        raise ConfigError(
            f"{setting}={cron!r} / DESKMATE_TIMEZONE={timezone!r} is not valid: {exc}"
        ) from exc


def start_scheduler(
    cron: str,
    timezone: str,
    job: Callable[[], Awaitable[Any]],
    trigger: BaseTrigger | None = None,
) -> AsyncIOScheduler:
    """Start an `AsyncIOScheduler` on the running loop with the re-index job."""
    scheduler = AsyncIOScheduler(timezone=timezone)
    scheduler.add_job(
        _logged(job),
        trigger or cron_trigger(cron, timezone),
        id=JOB_ID,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=MISFIRE_GRACE_S,
        replace_existing=True,
    )
    scheduler.start()
    return scheduler


def add_housekeeping(scheduler: AsyncIOScheduler, job: Callable[[], Awaitable[Any]]) -> None:
    """An hourly job for expiring conversation memory and old delivery ids."""
    scheduler.add_job(
        _logged(job), "interval", hours=1, id="housekeeping", coalesce=True, max_instances=1
    )


def add_digest(
    scheduler: AsyncIOScheduler, cron: str, timezone: str, job: Callable[[], Awaitable[Any]]
) -> None:
    """The weekly digest to the admins (DESKMATE_DIGEST_CRON); every replica schedules it,
    the job itself sends once per week across them."""
    scheduler.add_job(
        _logged(job),
        cron_trigger(cron, timezone, "DESKMATE_DIGEST_CRON"),
        id="digest",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=MISFIRE_GRACE_S,
    )


def _logged(job: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        try:
            await job()
        except Exception:
            log.exception("scheduled job failed")

    return run
