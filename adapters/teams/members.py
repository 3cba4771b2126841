"""Who is listening in a Teams conversation: the member list from `TeamsInfo`.

A channel's listeners are its team's members (a superset for private channels, which only
narrows what may be said); a group or 1:1 chat's are the chat's members. `bot.audience` caches
the list, caps its length and decides what its members may all hear.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from adapters.teams.sdk import (
    Activity,
    TeamsChannelAccount,
    TeamsInfo,
    TurnContext,
    teams_get_team_info,
)
from bot.audience import Audience
from bot.models import Asker

PAGE_SIZE = 500


class Members:
    def __init__(self, audience: Audience) -> None:
        self._audience = audience

    async def listeners(self, context: TurnContext) -> tuple[Asker, ...] | None:
        """Everyone in the conversation, or None when the list cannot be read."""

        def read() -> AsyncIterator[Asker]:
            return _read(context)

        return await self._audience.listeners(cache_key(context.activity), read)

    def forget(self, activity: Activity) -> None:
        """Membership changed: read the list again next time."""
        self._audience.forget(cache_key(activity))


def cache_key(activity: Activity) -> str:
    team = teams_get_team_info(activity)
    if team and team.id:
        return f"teams:team:{team.id}"
    return f"teams:conversation:{activity.conversation.id.split(';')[0]}"


async def _read(context: TurnContext) -> AsyncIterator[Asker]:
    token: str | None = None
    while True:
        page = await TeamsInfo.get_paged_members(context, token, PAGE_SIZE)
        for member in page.members or []:
            yield to_asker(member)
        token = page.continuation_token
        if not token:
            return


def to_asker(member: TeamsChannelAccount) -> Asker:
    return Asker(
        user_id=member.aad_object_id or member.id,
        email=member.email or member.user_principal_name,
        display_name=member.name,
    )
