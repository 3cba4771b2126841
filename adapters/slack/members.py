"""Who is listening: the asker's e-mail and the groups every member of a channel shares.

Both come from Slack's Web API and are cached with a TTL. When membership cannot be read
(the bot lacks a scope, the channel is gone), a channel's audience is `everyone` only: an
answer must never show a listener a document they may not see.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.groups import Directory
from bot.models import EVERYONE, Asker

log = logging.getLogger(__name__)

MEMBERS_TTL_S = 60.0
PEOPLE_TTL_S = 600.0
PAGE_SIZE = 200
ONLY_EVERYONE = frozenset({EVERYONE})


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
    def __init__(self, client: AsyncWebClient, directory: Directory) -> None:
        self._client = client
        self._directory = directory
        self._emails = TtlCache(PEOPLE_TTL_S)
        self._shared = TtlCache(MEMBERS_TTL_S)

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
        return self._directory.groups_of(await self.asker(user_id))

    async def shared_groups(self, channel: str, bot_user_id: str | None) -> frozenset[str]:
        """Groups every member of `channel` belongs to (the bot itself does not count)."""
        cached, groups = self._shared.get(channel)
        if cached:
            return frozenset(groups)
        try:
            groups = await self._read_shared(channel, bot_user_id)
        except SlackApiError as exc:
            log.warning(
                "cannot read the members of %s (%s); answering from documents everyone may see",
                channel,
                error_code(exc),
            )
            return ONLY_EVERYONE
        self._shared.put(channel, groups)
        return groups

    def forget(self, channel: str) -> None:
        """Membership changed: read it again next time."""
        self._shared.forget(channel)

    async def _read_shared(self, channel: str, bot_user_id: str | None) -> frozenset[str]:
        shared: frozenset[str] | None = None
        cursor = ""
        while True:
            page = await self._client.conversations_members(
                channel=channel, limit=PAGE_SIZE, cursor=cursor or None
            )
            for member in page.get("members") or []:
                if member == bot_user_id:
                    continue
                shared = await self._narrow(shared, member)
                if shared == ONLY_EVERYONE:
                    return shared
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor:
                return shared if shared is not None else ONLY_EVERYONE

    async def _narrow(self, shared: frozenset[str] | None, member: str) -> frozenset[str]:
        """Intersect with one member's groups; their e-mail is looked up only when it matters."""
        groups = self._directory.groups_of(Asker(member))
        if shared is None or not shared <= groups:
            groups = await self.groups_of(member)
        return groups if shared is None else shared & groups
