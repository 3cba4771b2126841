"""What the chat adapters share inside `deskmate serve`: the runtime, answering, re-indexing,
and the background tasks that a graceful shutdown waits for."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from adapters.chat.answer_service import AnswerService
from adapters.chat.commands import Commands
from adapters.chat.deliveries import Deliveries
from adapters.chat.digest import digest_text
from adapters.chat.feedback import Feedback
from adapters.chat.reindex_requests import Reindexer, summary_text
from adapters.console.auth import SignIns
from adapters.runtime import Runtime
from bot import texts
from bot.insights import Period, build_report

log = logging.getLogger(__name__)

DIGEST_JOB = "weekly-digest"
DIGEST_DAYS = 7
DIGEST_MIN_HOURS = 24 * DIGEST_DAYS - 12  # one digest a week across replicas, some clock slack

# Tells the admins a notice in one place (Slack's admin channel, Teams' chosen conversation);
# True when that place took it.
AdminNotify = Callable[[str], Awaitable[bool]]


class Services:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.answers = AnswerService(
            runtime.engine,
            runtime.settings.serve.rate_limit_per_minute,
            runtime.settings.serve.max_concurrent_answers,
            runtime.settings.retrieval.max_question_chars,
        )
        self.reindexer = Reindexer(runtime)
        self.sign_ins = SignIns(
            runtime.store.admin, runtime.settings.console, runtime.settings.serve.port
        )
        self.commands = Commands(runtime, self.reindexer, self.sign_ins)
        self.deliveries = Deliveries(runtime.store.feedback)
        self.accepting = True
        self.admin_notifiers: list[AdminNotify] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    def feedback(self, platform: str) -> Feedback:
        """Feedback on answers, recorded as coming from `platform`."""
        return Feedback(self.runtime.store.feedback, platform)

    async def scheduled_reindex(self) -> None:
        """The nightly job: re-index, and tell the admins when files failed."""
        summary = await self.reindexer.run_now("schedule")
        if summary is None or not summary.failed:
            return
        failures = "\n".join(f"• {e.path}: {e.reason}" for e in summary.errors[:10])
        message = texts.SCHEDULED_FAILURES.format(summary=summary_text(summary), failures=failures)
        for notify in self.admin_notifiers:
            try:
                await notify(message)
            except Exception:
                log.exception("could not tell the admins about a failed scheduled re-index")

    async def weekly_digest(self) -> bool:
        """The week's gaps and 👎 to the admins (Slack's admin channel, the conversation chosen
        in Teams, whichever there are); True when this replica sent it (every replica runs the
        job, the first to claim the week sends). A week no admin place took is not claimed."""
        if not self.admin_notifiers:
            return False
        if not await self.runtime.store.admin.claim_job(DIGEST_JOB, DIGEST_MIN_HOURS):
            log.info("weekly digest: already sent by another replica")
            return False
        runtime = self.runtime
        report = await build_report(
            runtime.store, runtime.embedder, runtime.contacts, Period.last(DIGEST_DAYS)
        )
        message = digest_text(report)
        delivered = False
        for notify in self.admin_notifiers:
            try:
                delivered = await notify(message) or delivered
            except Exception:
                log.exception("could not send the weekly digest to the admins")
        if not delivered:  # the week is not spent: a conversation chosen later gets it
            await self.runtime.store.admin.release_job(DIGEST_JOB)
            log.info("weekly digest: no admin channel or conversation took it")
        return delivered

    def background(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run `work` after the platform has been acknowledged; kept until it ends."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    async def idle(self) -> None:
        """Wait until no background work is left, including work started meanwhile (tests)."""
        while pending := [t for t in self._tasks if not t.done()]:
            await asyncio.wait(pending)

    async def drain(self, timeout: float) -> None:
        """Stop taking new work and wait (bounded) for in-flight answers."""
        self.accepting = False
        pending = [t for t in self._tasks if not t.done()]
        if pending:
            log.info("waiting for %d in-flight answer(s)", len(pending))
            _, late = await asyncio.wait(pending, timeout=timeout)
            for task in late:
                task.cancel()
        await self.reindexer.wait()
