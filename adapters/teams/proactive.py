"""Messages sent after the turn that asked for them: answers that took a while, the end of a
re-index, a private answer in a new 1:1 chat, the admin notices. All go through the SDK's
proactive turns with a saved `ConversationReference`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from adapters.chat.admin_conversation import ConversationGone
from adapters.chat.reindex_requests import Notify
from adapters.teams.questions import conversation_of
from adapters.teams.sdk import (
    CloudAdapter,
    ConversationParameters,
    ConversationReference,
    ErrorResponseException,
    MessageFactory,
    TurnContext,
    get_continuation_activity,
    teams_get_channel_data,
)

Logic = Callable[[TurnContext], Awaitable[None]]
GONE = (403, 404)  # the bot is not in the conversation any more, or it no longer exists


def to_stored(reference: ConversationReference) -> dict[str, Any]:
    """The reference as JSON, to keep in the database."""
    return dict(reference.serialize())


def from_stored(stored: dict[str, Any]) -> ConversationReference:
    return ConversationReference.deserialize(stored)


class Conversations:
    def __init__(self, adapter: CloudAdapter, app_id: str) -> None:
        self._adapter = adapter
        self._app_id = app_id

    async def reply(self, reference: ConversationReference, logic: Logic) -> None:
        """Run `logic` in a new turn whose messages reply to the referenced activity, so they
        land in the same conversation and, in a channel, the same reply chain."""
        continuation = get_continuation_activity(reference)
        if reference.activity_id:
            continuation.id = reference.activity_id
        await self._adapter.process_proactive(
            self._adapter.create_claims_identity(self._app_id), continuation, None, logic
        )

    def notifier(self, reference: ConversationReference) -> Notify:
        """Tell whoever sent the referenced message something later (a re-index ended)."""

        async def notify(text: str) -> None:
            async def send(context: TurnContext) -> None:
                await context.send_activity(text)

            await self.reply(reference, send)

        return notify

    async def post(self, reference: ConversationReference, text: str) -> None:
        """A new message in the referenced conversation, not a reply to the message the
        reference was taken from: in a channel a new post (its own reply chain), in a chat
        the next message."""
        conversation = reference.conversation
        if conversation.conversation_type == "channel":
            parameters = ConversationParameters(
                is_group=True,
                channel_data={"channel": {"id": conversation_of(conversation.id)}},
                activity=MessageFactory.text(text),
            )  # as `TeamsInfo.send_message_to_teams_channel` starts one
            await self._adapter.create_conversation(
                self._app_id, _done, parameters, reference.channel_id, reference.service_url, None
            )
            return
        continuation = get_continuation_activity(reference)
        continuation.id = None  # a message of its own, not a reply
        failed: list[Exception] = []

        async def send(context: TurnContext) -> None:
            try:
                await context.send_activity(text)
            except Exception as error:  # raised below: the turn's error handler would reply
                failed.append(error)

        await self._adapter.process_proactive(
            self._adapter.create_claims_identity(self._app_id), continuation, None, send
        )
        if failed:
            raise failed[0]

    async def post_stored(self, stored: dict[str, Any], text: str) -> None:
        """`post` to a stored reference; `ConversationGone` when Teams refuses it for good."""
        try:
            await self.post(from_stored(stored), text)
        except ErrorResponseException as error:
            status = getattr(error.response, "status_code", None)
            if status in GONE:
                raise ConversationGone(status) from error
            raise

    async def open_personal(self, context: TurnContext) -> ConversationReference:
        """Open (or find) the 1:1 chat between the bot and the sender of this turn."""
        activity = context.activity
        channel_data = teams_get_channel_data(activity)
        tenant_id = channel_data.tenant.id if channel_data and channel_data.tenant else None
        parameters = ConversationParameters(
            is_group=False,
            bot=activity.recipient,
            members=[activity.from_property],
            tenant_id=tenant_id,
            channel_data={"tenant": {"id": tenant_id}} if tenant_id else None,
        )
        opened: list[ConversationReference] = []

        async def capture(new_context: TurnContext) -> None:
            opened.append(TurnContext.get_conversation_reference(new_context.activity))

        await self._adapter.create_conversation(
            self._app_id, capture, parameters, activity.channel_id, activity.service_url, None
        )
        reference = opened[0]
        reference.user = activity.from_property
        return reference


async def _done(context: TurnContext) -> None:
    """Nothing more to do in the turn that `create_conversation` runs."""
