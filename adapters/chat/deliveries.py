"""Platforms deliver again what they think failed; each delivery is handled once, cluster-wide."""

from __future__ import annotations

import logging

from bot.store.feedback import FeedbackStore

log = logging.getLogger(__name__)


class Deliveries:
    def __init__(self, store: FeedbackStore) -> None:
        self._store = store

    async def first(self, *keys: str) -> bool:
        """False when any of `keys` was seen before, on whichever replica it landed."""
        for key in keys:
            if not await self._store.first_delivery(key):
                log.info("ignoring a repeated delivery (%s)", key)
                return False
        return True
