"""Who is listening on Slack: the asker's e-mail and the members of a channel.

Both come from Slack's Web API; e-mails are cached here, member lists by `bot.audience`, which
also decides what they may all hear. When membership cannot be read (the bot lacks a scope, the
channel is gone), a channel's audience is `everyone` only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.audience import Audience
from bot.models import Asker

log = logging.getLogger(__name__)

PEOPLE_TTL_S = 600.0
PAGE_SIZE = 200


def error_code(exc: SlackApiError) -> str:
    """Slack's error code (`not_in_channel`, `missing_scope`…) or the HTTP status."""
    data = getattr(exc.response, "data", None)
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"HTTP {getattr(exc.response, 'status_code', '?')}"


class TtlCache:
    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._values: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> tuple[bool, Any]:
        found = self._values.get(key)
        if found is None or self._clock() - found[0] > self._ttl:
            return False, None
        return True, found[1]

    def put(self, key: str, value: Any) -> None:
        self._values[key] = (self._clock(), value)

    def forget(self, key: str) -> None:
        self._values.pop(key, None)


class Membership:
    def __init__(self, client: AsyncWebClient, audience: Audience) -> None:
        self._client = client
        self._audience = audience
        self._emails = TtlCache(PEOPLE_TTL_S)

    async def asker(self, user_id: str) -> Asker:
        """The asker with their e-mail when the `users:read.email` scope is granted."""
        return Asker(user_id, email=await self.email(user_id))

    async def email(self, user_id: str) -> str | None:
        cached, email = self._emails.get(user_id)
        if cached:
            return str(email) if email else None
        try:
            response = await self._client.users_info(user=user_id)
            email = (response.get("user") or {}).get("profile", {}).get("email")
        except SlackApiError as exc:
            log.info("no e-mail for %s (%s)", user_id, error_code(exc))
            email = None
        self._emails.put(user_id, email)
        return str(email) if email else None

    async def groups_of(self, user_id: str) -> frozenset[str]:
        return self._audience.private(await self.asker(user_id))

    async def shared_groups(
        self, channel: str, asker: Asker, bot_user_id: str | None
    ) -> frozenset[str]:
        """What every member of `channel` may see (the bot itself does not count)."""

        def read() -> AsyncIterator[Asker]:
            return self._members(channel, bot_user_id)

        listeners = await self._audience.listeners(conversation_of(channel), read)
        return await self._audience.shared(asker, listeners, self._complete)

    def forget(self, channel: str) -> None:
        """Membership changed: read it again next time."""
        self._audience.forget(conversation_of(channel))

    async def _members(self, channel: str, bot_user_id: str | None) -> AsyncIterator[Asker]:
        cursor = ""
        while True:
            page = await self._client.conversations_members(
                channel=channel, limit=PAGE_SIZE, cursor=cursor or None
            )
            for member in page.get("members") or []:
                if member != bot_user_id:
                    yield Asker(str(member))
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor:
                return

    async def _complete(self, listener: Asker) -> Asker:
        """A member with their e-mail, looked up only when the rule needs it."""
        return await self.asker(listener.user_id)


def conversation_of(channel: str) -> str:
    return f"slack:{channel}"
