"""Who is listening in a Teams conversation: the member list from `TeamsInfo`, cached.

A channel's listeners are its team's members (a superset for private channels, which only
narrows what may be said); a group or 1:1 chat's are the chat's members. A list that cannot be
read, or is too long to read whole, is `None`: the caller then answers from documents
everyone may see.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo, teams_get_team_info
from botbuilder.schema import Activity
from botbuilder.schema.teams import TeamsChannelAccount

from bot.models import Asker

log = logging.getLogger(__name__)

TTL_SECONDS = 300.0
PAGE_SIZE = 500
MAX_PAGES = 20


class TooManyMembers(Exception):
    """The member list is longer than we read; a partial list must not decide access."""


class Members:
    def __init__(
        self, ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, tuple[Asker, ...]]] = {}

    async def listeners(self, context: TurnContext) -> tuple[Asker, ...] | None:
        """Everyone in the conversation, or None when the list cannot be read."""
        key = cache_key(context.activity)
        now = self._clock()
        cached = self._cache.get(key)
        if cached and cached[0] > now:
            return cached[1]
        try:
            found = await _read(context)
        except Exception as exc:
            log.warning("could not read the members of %s (%s)", key, type(exc).__name__)
            return None
        self._cache[key] = (now + self._ttl, found)
        return found

    def forget(self, activity: Activity) -> None:
        """Membership changed: read the list again next time."""
        self._cache.pop(cache_key(activity), None)


def cache_key(activity: Activity) -> str:
    team = teams_get_team_info(activity)
    if team and team.id:
        return f"team:{team.id}"
    return f"conversation:{activity.conversation.id.split(';')[0]}"


async def _read(context: TurnContext) -> tuple[Asker, ...]:
    members: list[TeamsChannelAccount] = []
    token: str | None = None
    for _ in range(MAX_PAGES):
        page = await TeamsInfo.get_paged_members(context, token, PAGE_SIZE)
        members.extend(page.members or [])
        token = page.continuation_token
        if not token:
            return tuple(to_asker(m) for m in members)
    raise TooManyMembers(f"more than {MAX_PAGES * PAGE_SIZE} members")


def to_asker(member: TeamsChannelAccount) -> Asker:
    return Asker(
        user_id=member.aad_object_id or member.id,
        email=member.email or member.user_principal_name,
        display_name=member.name,
    )
