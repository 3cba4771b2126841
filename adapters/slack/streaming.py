"""Partial answers while the model writes: `chat.update`, throttled for Slack's rate limits.

`chat.update` is a Tier 3 method (about 50 calls a minute per workspace), so partial updates
share one budget and each message is updated at most once per interval. Partial updates are
best effort: when the budget is spent they are skipped; the final answer is always sent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import partial_message

log = logging.getLogger(__name__)

TIER3_PER_MINUTE = 50
UPDATE_INTERVAL_S = 1.5

Clock = Callable[[], float]


class UpdateBudget:
    """A token bucket shared by every streaming message of one workspace."""

    def __init__(self, per_minute: int = TIER3_PER_MINUTE, clock: Clock = time.monotonic) -> None:
        self._capacity = float(per_minute)
        self._rate = per_minute / 60.0
        self._tokens = float(per_minute)
        self._clock = clock
        self._at = clock()

    def take(self) -> bool:
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class StreamingMessage:
    """Shows the text so far in the "looking it up" message, without piling up calls."""

    def __init__(
        self,
        client: AsyncWebClient,
        channel: str,
        ts: str,
        budget: UpdateBudget,
        interval: float = UPDATE_INTERVAL_S,
        clock: Clock = time.monotonic,
    ) -> None:
        self._client = client
        self._channel = channel
        self._ts = ts
        self._budget = budget
        self._interval = interval
        self._clock = clock
        self._last = float("-inf")
        self._inflight: asyncio.Task[None] | None = None
        self.updates = 0

    async def on_text(self, text: str) -> None:
        """The engine's streaming callback: returns at once, never waits for Slack."""
        if self._inflight is not None and not self._inflight.done():
            return
        if self._clock() - self._last < self._interval or not self._budget.take():
            return
        self._last = self._clock()
        self._inflight = asyncio.create_task(self._update(text))

    async def _update(self, text: str) -> None:
        message = partial_message(text)
        try:
            await self._client.chat_update(
                channel=self._channel, ts=self._ts, text=message.text, blocks=message.blocks
            )
            self.updates += 1
        except Exception as exc:  # a lost partial update is harmless; the final one follows
            log.info("partial Slack update skipped: %s", exc)

    async def close(self) -> None:
        """Wait for a partial update still in flight, so it cannot overwrite the answer."""
        if self._inflight is not None:
            await self._inflight
