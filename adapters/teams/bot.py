"""The Teams bot: translate each activity, hand it to the engine or a command, render the result.

A question is acknowledged at once (typing indicator) and answered in the background through a
proactive turn, so Teams never waits on the model; the answer replies to the question, in the
same reply chain. In a 1:1 chat the answer streams (see `streaming.py`); elsewhere it arrives
as one message. Answers are native AI messages (see `answers.py`) with Teams' own 👍 / 👎:
those arrive as `message/submitAction` invokes naming the answer's message, answered 200 with
an empty body and stored in the table the Slack adapter uses. Card buttons (the private-answer
offer, and answer cards sent before) arrive as `adaptiveCard/action` invokes (Action.Execute)
or, on older clients, as messages with a value (Action.Submit) and redraw their card.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from adapters.chat.admin_conversation import AdminConversation
from adapters.chat.commands import parse
from adapters.chat.references import new_reference
from adapters.chat.services import Services
from adapters.teams import answers, cards, questions
from adapters.teams.commands import Commands
from adapters.teams.members import Members
from adapters.teams.proactive import Conversations
from adapters.teams.sdk import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    ConversationReference,
    InvokeResponse,
    MessageFactory,
    ResourceResponse,
    TeamsActivityHandler,
    TurnContext,
    teams_get_team_info,
)
from adapters.teams.streaming import TeamsStream
from bot import texts
from bot.models import Question
from bot.store.feedback import StoredAnswer

log = logging.getLogger(__name__)

PLATFORM = "teams"
TYPING_EVERY_SECONDS = 3.0
CARD_CONTENT = "application/vnd.microsoft.card.adaptive"


class DeskmateBot(TeamsActivityHandler):  # type: ignore[misc]  # the SDK is untyped
    def __init__(
        self,
        services: Services,
        conversations: Conversations,
        admin_conversation: AdminConversation,
    ) -> None:
        self._services = services
        self._feedback = services.feedback(PLATFORM)
        self._audience = services.runtime.audience
        self._conversations = conversations
        self._admin_conversation = admin_conversation
        self._commands = Commands(services, conversations, admin_conversation)
        self._members = Members(self._audience)
        self._streaming = services.settings.native.streaming
        self._interval = services.settings.native.stream_interval_s

    # --- messages ------------------------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if not await self._first_delivery(activity):
            return
        action = cards.action_from(activity.value)
        if action is not None:
            await self._on_submit(turn_context, action)
            return
        if not questions.addressed_to_bot(activity):
            return
        command = parse(questions.question_text(activity))
        if command.name != "ask":
            await self._commands.run(turn_context, command)
            return
        await turn_context.send_activity(Activity(type=ActivityTypes.typing))
        listeners = await self._members.listeners(turn_context)
        question = await questions.to_question(
            activity, command.argument, self._audience, listeners
        )
        reference = TurnContext.get_conversation_reference(activity)
        files = questions.has_files(activity)
        self._services.background(self._answer(reference, question, attachments=files))

    async def _first_delivery(self, activity: Activity) -> bool:
        """Teams retries a delivery it thinks failed; answer each activity id once."""
        if not activity.id:
            return True
        key = f"{PLATFORM}:{activity.conversation.id}:{activity.id}"
        return await self._services.deliveries.first(key)

    async def _answer(
        self, reference: ConversationReference, question: Question, *, attachments: bool = False
    ) -> None:
        streamed = self._streaming and questions.is_personal_conversation(reference.conversation)

        async def reply(context: TurnContext) -> None:
            if streamed:
                stream = TeamsStream(context, self._interval)
                await stream.inform(texts.TEAMS_SEARCHING)
                result = await self._services.answers.ask(
                    question, PLATFORM, stream.on_text, attachments=attachments
                )
                sent = await stream.finish(answers.answer_activity(result, private=True))
            else:
                async with _typing(context):
                    result = await self._services.answers.ask(
                        question, PLATFORM, attachments=attachments
                    )
                answer = answers.answer_activity(result, private=question.private)
                sent = await context.send_activity(answer)
            await self._remember(context, sent, result.answer.answer_id if result.answer else None)

        await self._conversations.reply(reference, reply)

    async def _remember(
        self, context: TurnContext, sent: ResourceResponse | None, answer_id: str | None
    ) -> None:
        """Which message shows the answer: Teams' feedback names the message."""
        if sent is not None and sent.id and answer_id:
            conversation = questions.conversation_of(context.activity.conversation.id)
            await self._feedback.shown_in(conversation, sent.id, answer_id)

    # --- card buttons ---------------------------------------------------------------------

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        if turn_context.activity.name == "message/submitAction":
            await self._on_native_feedback(turn_context)
            return InvokeResponse(status=200)  # Teams expects 200 with an empty body
        if turn_context.activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        # Handled here rather than in `on_adaptive_card_invoke`: ActivityHandler serializes that
        # response to a dict and CloudAdapter 4.17 serializes it again, which fails. The body
        # stays a model here, so CloudAdapter serializes it once.
        response = await self._on_execute(turn_context)
        return InvokeResponse(status=response.status_code, body=response)

    async def _on_native_feedback(self, turn_context: TurnContext) -> None:
        """Teams' own 👍 / 👎 (and the comment typed with it) on one of our answers."""
        activity = turn_context.activity
        feedback = questions.native_feedback(activity.value)
        if feedback is None or not activity.reply_to_id:
            log.info("ignoring a message/submitAction that is not feedback on an answer")
            return
        conversation = questions.conversation_of(activity.conversation.id)
        answer_id = await self._feedback.answer_in(conversation, activity.reply_to_id)
        if answer_id is None:
            log.info("feedback on a message that shows no stored answer; ignored")
            return
        sender = activity.from_property
        user_id = sender.aad_object_id or sender.id
        await self._feedback.rate(answer_id, user_id, feedback.rating)
        if feedback.comment:
            await self._feedback.comment(answer_id, user_id, feedback.comment, feedback.rating)

    async def _on_execute(self, turn_context: TurnContext) -> AdaptiveCardInvokeResponse:
        action = cards.action_from_invoke(turn_context.activity.value)
        if action is None:
            return _invoke_error(400, "BadRequest", "This button is not one of Deskmate's.")
        try:
            _, card = await self._press(turn_context, action)
        except Exception:
            reference = new_reference()
            log.exception("a card action failed (ref %s)", reference)
            return _invoke_error(500, "InternalError", texts.ERROR.format(ref=reference))
        return AdaptiveCardInvokeResponse(status_code=200, type=CARD_CONTENT, value=card)

    async def _on_submit(self, turn_context: TurnContext, action: cards.CardAction) -> None:
        status, card = await self._press(turn_context, action)
        card_id = turn_context.activity.reply_to_id
        if not card_id:
            await turn_context.send_activity(status)
            return
        update = cards.card_activity(card)
        update.id = card_id
        await turn_context.update_activity(update)

    async def _press(
        self, turn_context: TurnContext, action: cards.CardAction
    ) -> tuple[str, dict[str, Any]]:
        """Do what the button asks; what happened, and the card to show afterwards."""
        stored = await self._feedback.answer(action.answer_id)
        if action.kind == cards.FEEDBACK and action.rating is not None:
            sender = turn_context.activity.from_property
            user_id = sender.aad_object_id or sender.id
            status = await self._feedback.rate(action.answer_id, user_id, action.rating)
        else:
            status = await self._answer_privately(turn_context, stored)
        if action.offer_only:
            return status, cards.offer_card(action.answer_id, status)
        return status, cards.answer_card(cards.view_of_stored(stored, action, status))

    async def _answer_privately(
        self, turn_context: TurnContext, stored: StoredAnswer | None
    ) -> str:
        """Ask the stored question again in a 1:1 chat, with everything the presser may see."""
        if stored is None:
            return texts.ANSWER_GONE
        listeners = await self._members.listeners(turn_context)
        asker = questions.asker_of(turn_context.activity, listeners)
        try:
            reference = await self._conversations.open_personal(turn_context)
        except Exception as exc:
            log.warning("could not open a 1:1 chat for a private answer (%s)", type(exc).__name__)
            return texts.TEAMS_PRIVATE_FAILED
        conversation_id = questions.conversation_key(reference.conversation.id)
        question = questions.private_question(
            stored.question, asker, self._audience, conversation_id
        )
        self._services.background(self._answer(reference, question))
        return texts.TEAMS_PRIVATE_SENT

    # --- the bot joins a conversation -------------------------------------------------------

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        self._members.forget(activity)
        bot_id = activity.recipient.id if activity.recipient else None
        if any(member.id == bot_id for member in activity.members_added or []):
            await turn_context.send_activity(MessageFactory.text(await self._commands.welcome()))
        if any(member.id == bot_id for member in activity.members_removed or []):
            await self._removed(activity)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        await self._removed(turn_context.activity)

    async def _removed(self, activity: Activity) -> None:
        """The bot was removed from a chat or a team: admin notices no longer go there."""
        team = teams_get_team_info(activity)
        places = {questions.conversation_of(activity.conversation.id)}
        await self._admin_conversation.forget_in(places | ({team.id} if team else set()))


@asynccontextmanager
async def _typing(context: TurnContext) -> AsyncIterator[None]:
    """Keep Teams' typing indicator on while the engine works."""

    async def keep_typing() -> None:
        while True:
            await asyncio.sleep(TYPING_EVERY_SECONDS)
            await context.send_activity(Activity(type=ActivityTypes.typing))

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError, Exception):
            await task


def _invoke_error(status: int, code: str, message: str) -> AdaptiveCardInvokeResponse:
    return AdaptiveCardInvokeResponse(
        status_code=status,
        type="application/vnd.microsoft.error",
        value={"code": code, "message": message},
    )
