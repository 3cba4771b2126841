"""Commands typed to the bot (`help`, `status`, `reindex [source]`, `admin`, `digest here`,
`digest off`) and the welcome text, as Teams Markdown; what each command means is
`adapters.chat.commands`.

The admin hears how a re-index ended through a proactive message to the conversation they
asked in; `digest here` makes the conversation it is typed in Teams' admin conversation.
"""

from __future__ import annotations

from adapters.chat.admin_conversation import AdminConversation
from adapters.chat.commands import Command, Knowledge, Status, is_admin
from adapters.chat.services import Services
from adapters.teams import questions
from adapters.teams.proactive import Conversations, to_stored
from adapters.teams.sdk import TurnContext
from bot import texts
from bot.models import EVERYONE

TRIGGER = "teams"


class Commands:
    def __init__(
        self,
        services: Services,
        conversations: Conversations,
        admin_conversation: AdminConversation,
    ) -> None:
        self._services = services
        self._commands = services.commands
        self._conversations = conversations
        self._admin_conversation = admin_conversation

    async def run(self, context: TurnContext, command: Command) -> None:
        if command.name == "help":
            text = texts.TEAMS_HELP_ADMIN if self._by_admin(context) else texts.TEAMS_HELP
        elif command.name == "status":
            text = status_text(await self._commands.status(self._audience(context)))
        elif command.name == "admin":
            text = await self.admin_link(context)
        elif command.name in ("digest_here", "digest_off"):
            text = await self.digest(context, here=command.name == "digest_here")
        else:
            text = await self.reindex(context, command.sources)
        await context.send_activity(text)

    def _by_admin(self, context: TurnContext) -> bool:
        sender = context.activity.from_property
        return is_admin(self._services.settings.serve.admin_ids, sender.aad_object_id, sender.id)

    def _audience(self, context: TurnContext) -> frozenset[str]:
        """Who reads the status: the asker in a 1:1 chat, anyone in a shared conversation."""
        if not questions.is_personal(context.activity):
            return frozenset({EVERYONE})
        asker = questions.asker_of(context.activity, None)
        return self._services.runtime.directory.groups_of(asker)

    async def admin_link(self, context: TurnContext) -> str:
        """A sign-in link, only in a 1:1 chat with an admin: no one else may see it."""
        sender = context.activity.from_property
        if not self._by_admin(context):
            return texts.ADMIN_NOT_ADMIN
        if not questions.is_personal(context.activity):
            return texts.ADMIN_LINK_PRIVATE_ONLY
        return await self._commands.admin_link(sender.aad_object_id or sender.id)

    async def digest(self, context: TurnContext, *, here: bool) -> str:
        """Make this conversation the one the admin notices go to, or send them nowhere."""
        if not self._by_admin(context):
            return texts.DIGEST_NOT_ADMIN
        if not here:
            return await self._admin_conversation.stop()
        reference = TurnContext.get_conversation_reference(context.activity)
        sender = context.activity.from_property
        return await self._admin_conversation.choose(
            questions.conversation_of(reference.conversation.id),
            to_stored(reference),
            sender.aad_object_id or sender.id,
        )

    async def reindex(self, context: TurnContext, only: tuple[str, ...]) -> str:
        if not self._by_admin(context):
            return texts.REINDEX_NOT_ADMIN
        reference = TurnContext.get_conversation_reference(context.activity)
        notify = self._conversations.notifier(reference)
        return await self._commands.reindex(TRIGGER, only, notify)

    async def welcome(self) -> str:
        """What the bot knows (sources everyone may see) and how to ask."""
        return welcome_text(await self._commands.knowledge())


def status_text(status: Status) -> str:
    if not status.sources:
        return texts.TEAMS_STATUS_EMPTY
    lines = [texts.TEAMS_STATUS_TITLE, ""]
    lines += [
        texts.TEAMS_STATUS_SOURCE.format(
            source=s.source,
            documents=s.documents,
            chunks=s.chunks,
            when=f"{s.last_indexed:%Y-%m-%d %H:%M} UTC" if s.last_indexed else "never",
        )
        for s in status.sources
    ]
    run = status.last_run
    if run is not None:
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
    if status.running:
        lines += ["", texts.STATUS_RUNNING]
    return "\n".join(lines)


def welcome_text(knowledge: Knowledge) -> str:
    if not knowledge.sources:
        return texts.TEAMS_WELCOME.format(knowledge=texts.TEAMS_KNOWLEDGE_EMPTY)
    what = texts.TEAMS_KNOWLEDGE.format(
        documents=knowledge.documents, sources=", ".join(knowledge.sources)
    )
    return texts.TEAMS_WELCOME.format(knowledge=what)
