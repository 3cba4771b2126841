"""What every adapter does around the engine: rate limits, metrics, and errors users can read.

Adapters call `AnswerService.ask` and render whatever comes back; failures become a short,
friendly text with a reference id (the log has the detail), never a stack trace.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from dataclasses import dataclass, replace

from adapters import metrics
from adapters.chat.references import new_reference
from bot import texts
from bot.engine import Engine
from bot.errors import StoreUnavailable, UnusableQuestion
from bot.llm import OnText
from bot.models import Answer, Question
from bot.questions import checked

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    """An answer, or the text to show instead of one. `attachments_ignored`: the question came
    with files or images, which Deskmate cannot read; every platform says so with the reply."""

    answer: Answer | None
    text: str
    reference: str
    attachments_ignored: bool = False

    @property
    def attachment_note(self) -> str | None:
        return texts.ATTACHMENTS_IGNORED if self.attachments_ignored else None

    @property
    def failed(self) -> bool:
        return self.answer is None


class RateLimiter:
    """At most `per_minute` questions per user in any sliding minute (per process)."""

    def __init__(self, per_minute: int) -> None:
        self._per_minute = per_minute
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, user: str) -> bool:
        now = time.monotonic()
        window = self._seen[user]
        while window and now - window[0] > 60:
            window.popleft()
        if len(window) >= self._per_minute:
            return False
        window.append(now)
        return True


class AnswerService:
    def __init__(
        self,
        engine: Engine,
        rate_limit_per_minute: int,
        concurrency: int = 4,
        max_question_chars: int = 2000,
    ) -> None:
        self._engine = engine
        self._max_chars = max_question_chars
        self._limiter = RateLimiter(rate_limit_per_minute)
        self._slots = asyncio.Semaphore(concurrency)

    async def ask(
        self,
        question: Question,
        platform: str,
        on_text: OnText | None = None,
        *,
        attachments: bool = False,
    ) -> Reply:
        """The reply to `question`; `attachments`: it came with files, never silently ignored."""
        reply = await self._ask(question, platform, on_text)
        return replace(reply, attachments_ignored=True) if attachments else reply

    async def _ask(self, question: Question, platform: str, on_text: OnText | None) -> Reply:
        reference = new_reference()
        try:
            checked(question.text, self._max_chars)
        except UnusableQuestion as unusable:
            metrics.QUESTIONS.labels(platform, "unusable").inc()
            return Reply(None, texts.unusable_question(unusable, self._max_chars), reference)
        if not self._limiter.allow(question.asker.user_id):
            metrics.QUESTIONS.labels(platform, "rate_limited").inc()
            return Reply(None, texts.RATE_LIMITED, reference)
        try:
            async with self._slots:
                answer = await self._engine.answer(replace(question, platform=platform), on_text)
        except StoreUnavailable:
            log.warning(
                "knowledge base unavailable (ref %s)", reference, extra=_ids(reference, platform)
            )
            metrics.QUESTIONS.labels(platform, "unavailable").inc()
            return Reply(None, texts.STORE_UNAVAILABLE, reference)
        except Exception:
            log.exception(
                "could not answer a question (ref %s)", reference, extra=_ids(reference, platform)
            )
            metrics.QUESTIONS.labels(platform, "error").inc()
            return Reply(None, texts.ERROR.format(ref=reference), reference)
        outcome = "answered" if answer.answered else "unanswered"
        metrics.QUESTIONS.labels(platform, outcome).inc()
        metrics.RETRIEVE_SECONDS.observe(answer.timings.retrieve_ms / 1000)
        metrics.GENERATE_SECONDS.observe(answer.timings.generate_ms / 1000)
        metrics.ANSWER_SECONDS.observe(answer.timings.total_ms / 1000)
        log.info(
            "answered (ref %s, %s, %d sources, %.0f ms)",
            reference,
            outcome,
            len(answer.citations),
            answer.timings.total_ms,
            extra=_ids(reference, platform),
        )
        return Reply(answer, answer.text, reference)


def _ids(reference: str, platform: str) -> dict[str, str]:
    """Log fields: the request id users see in error messages, and the platform."""
    return {"request_id": reference, "platform": platform}
