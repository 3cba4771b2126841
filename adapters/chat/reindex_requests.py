"""Re-index on request from chat: at once acknowledged, run in the background, one at a time.

The run itself holds the cluster-wide lock (see `RunStore.exclusive`), so requests from Slack,
Teams, the scheduler and the CLI never overlap, whichever replica they reach.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from adapters import metrics
from adapters.chat.references import new_reference
from adapters.runtime import Runtime
from bot import texts
from bot.errors import ReindexRunning

if TYPE_CHECKING:  # the indexer is imported when a run starts, not with the chat layer
    from indexer.pipeline import RunSummary

log = logging.getLogger(__name__)

Notify = Callable[[str], Awaitable[None]]


def summary_text(summary: RunSummary) -> str:
    return texts.REINDEX_DONE.format(
        seconds=summary.seconds,
        added=summary.added,
        updated=summary.updated,
        unchanged=summary.unchanged,
        deleted=summary.deleted,
        failed=summary.failed,
    )


class Reindexer:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._tasks: set[asyncio.Task[None]] = set()

    async def running(self) -> bool:
        return bool(self._tasks) or await self._runtime.store.runs.locked()

    async def request(self, trigger: str, only: Sequence[str], notify: Notify) -> str:
        """Start a background run, or say why not; returns the text to show at once."""
        if await self.running():
            return texts.REINDEX_RUNNING
        task = asyncio.create_task(self._run(trigger, only, notify))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return texts.REINDEX_STARTED.format(what=", ".join(only) if only else "every source")

    async def run_now(self, trigger: str, only: Sequence[str] = ()) -> RunSummary | None:
        """Run in the foreground (the scheduler's job); None when another run holds the lock."""
        try:
            summary = await self._runtime.reindex(trigger, list(only) or None)
        except ReindexRunning:
            log.info("re-index (%s) skipped: another run is in progress", trigger)
            return None
        except Exception:
            metrics.INDEX_RUNS.labels("failed").inc()
            raise
        metrics.INDEX_RUNS.labels("errors" if summary.failed else "succeeded").inc()
        metrics.INDEX_SECONDS.observe(summary.seconds)
        return summary

    async def _run(self, trigger: str, only: Sequence[str], notify: Notify) -> None:
        reference = new_reference()
        try:
            summary = await self.run_now(trigger, only)
            message = texts.REINDEX_RUNNING if summary is None else summary_text(summary)
        except Exception:
            log.exception("re-index failed (ref %s)", reference)
            message = texts.REINDEX_FAILED.format(ref=reference)
        try:
            await notify(message)
        except Exception:
            log.exception("could not tell the admin how the re-index ended")

    async def wait(self) -> None:
        """Wait for background runs (tests, graceful shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
