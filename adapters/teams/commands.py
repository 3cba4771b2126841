"""Commands typed to the bot: `help`, `status`, `reindex [source]`; and the welcome text.

`reindex` is for the ids in `DESKMATE_ADMINS` (AAD object ids, or Teams user ids). It uses the
same background job as Slack, so a request while a run is in progress anywhere is refused; the
admin hears how it ended through a proactive message to the conversation they asked in.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from botbuilder.core import TurnContext

from adapters.services import Services
from adapters.teams.proactive import Conversations
from bot import texts
from bot.errors import ConfigError

log = logging.getLogger(__name__)

TRIGGER = "teams"


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[str, ...] = ()


def parse(text: str) -> Command | None:
    """`help` and `status` alone, or `reindex` with optional source names; else a question."""
    words = text.strip().removeprefix("/").split()
    if not words:
        return None
    name = words[0].lower()
    if name in ("help", "status") and len(words) == 1:
        return Command(name)
    if name == "reindex":
        return Command(name, tuple(words[1:]))
    return None


class Commands:
    def __init__(self, services: Services, conversations: Conversations) -> None:
        self._services = services
        self._runtime = services.runtime
        self._conversations = conversations

    async def run(self, context: TurnContext, command: Command) -> None:
        if command.name == "help":
            text = texts.TEAMS_HELP
        elif command.name == "status":
            text = await self.status()
        else:
            text = await self.reindex(context, command.args)
        await context.send_activity(text)

    async def status(self) -> str:
        stats = await self._runtime.store.stats()
        if not stats:
            return texts.TEAMS_STATUS_EMPTY
        lines = [texts.TEAMS_STATUS_TITLE, ""]
        lines += [
            texts.TEAMS_STATUS_SOURCE.format(
                source=s.source,
                documents=s.documents,
                chunks=s.chunks,
                when=f"{s.last_indexed:%Y-%m-%d %H:%M} UTC" if s.last_indexed else "never",
            )
            for s in stats
        ]
        runs = await self._runtime.store.runs.recent(1)
        if runs:
            run = runs[0]
            took = f" and took {run.duration_s:.0f}s" if run.duration_s is not None else ""
            lines += [
                "",
                texts.TEAMS_STATUS_LAST_RUN.format(
                    status=run.status,
                    trigger=run.trigger,
                    when=f"{run.started_at:%Y-%m-%d %H:%M} UTC",
                    took=took,
                ),
            ]
        if await self._services.reindexer.running():
            lines += ["", texts.TEAMS_STATUS_RUNNING]
        return "\n".join(lines)

    async def reindex(self, context: TurnContext, only: Sequence[str]) -> str:
        if not self.is_admin(context):
            return texts.REINDEX_NOT_ADMIN
        try:
            known = [s.name for s in self._runtime.configured_sources()]
        except ConfigError:
            return texts.REINDEX_NO_SOURCES
        unknown = [name for name in only if name not in known]
        if unknown:
            return texts.TEAMS_REINDEX_UNKNOWN.format(
                unknown=", ".join(unknown), known=", ".join(known)
            )
        reference = TurnContext.get_conversation_reference(context.activity)
        notify = self._conversations.notifier(reference)
        return await self._services.reindexer.request(TRIGGER, list(only), notify)

    def is_admin(self, context: TurnContext) -> bool:
        sender = context.activity.from_property
        admins = {a.lower() for a in self._services.settings.admin_ids}
        return any(i and i.lower() in admins for i in (sender.aad_object_id, sender.id))

    async def welcome(self) -> str:
        """What the bot knows (sources everyone may see) and how to ask."""
        try:
            public = self._runtime.public_sources()
        except ConfigError:
            log.warning("welcome: sources.yaml is not valid; naming no sources")
            public = set()
        stats = [
            s for s in await self._runtime.store.stats() if public is None or s.source in public
        ]
        if not stats:
            knowledge = texts.TEAMS_KNOWLEDGE_EMPTY
        else:
            knowledge = texts.TEAMS_KNOWLEDGE.format(
                documents=sum(s.documents for s in stats),
                sources=", ".join(s.source for s in stats),
            )
        return texts.TEAMS_WELCOME.format(knowledge=knowledge)
