"""Partial answers while the model writes, paced for the platform: the same rule everywhere.

The engine calls back with the whole text so far, many times a second. A `PacedText` passes
the latest text on to the platform at most once per `interval`, never two sends at once, and
the next one only after the previous one succeeded: a failed send ends the partial updates
(the final answer always follows by its own path). Slack's native stream and its
post-and-update fallback, and Teams' 1:1 stream, all go through it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Send = Callable[[str], Awaitable[None]]
Clock = Callable[[], float]
Allow = Callable[[], bool]


def _always() -> bool:
    return True


class PacedText:
    """Calls `send(text so far)` at a pace the platform accepts; `on_text` never waits."""

    def __init__(
        self,
        send: Send,
        interval: float,
        *,
        allow: Allow = _always,
        clock: Clock = time.monotonic,
    ) -> None:
        self._send = send
        self._interval = interval
        self._allow = allow
        self._clock = clock
        self._last = float("-inf")
        self._inflight: asyncio.Task[None] | None = None
        self.sent = 0
        self.failed = False

    async def on_text(self, text: str) -> None:
        """The engine's streaming callback: returns at once, never waits for the platform."""
        if self.failed or (self._inflight is not None and not self._inflight.done()):
            return
        if self._clock() - self._last < self._interval or not self._allow():
            return
        self._last = self._clock()
        self._inflight = asyncio.create_task(self._deliver(text))

    async def _deliver(self, text: str) -> None:
        try:
            await self._send(text)
            self.sent += 1
        except Exception as exc:  # a lost partial update is harmless; the final one follows
            log.info("partial answer not sent, no more until the end: %s", exc)
            self.failed = True
        finally:
            self._last = self._clock()  # the interval counts from the end of a send

    async def close(self) -> None:
        """Wait for a send still in flight, so it cannot overtake the final answer."""
        if self._inflight is not None:
            await self._inflight
