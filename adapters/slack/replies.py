"""How a question becomes a visible Slack reply, whatever happens on the way.

In a conversation: Slack's native stream (in the app's DMs with the assistant status "Searching
the handbook…" meanwhile), the sources and feedback arriving with its end; where streaming is
refused, "looking it up" posted at once and replaced by the answer (more messages when it is
long). In private: an ephemeral answer. Any failure ends in a short message with a reference
id; the log has the detail.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.chat.answer_service import Reply
from adapters.chat.pacing import PacedText, Send
from adapters.chat.references import new_reference
from adapters.chat.services import Services
from adapters.slack.members import Membership, error_code
from adapters.slack.questions import (
    Place,
    clicked_place,
    delivery_keys,
    is_direct,
    place_of,
    to_question,
)
from adapters.slack.render import Extras, Message, answer_messages, text_message
from adapters.slack.streaming import NativeStream, Target, UpdateBudget, UpdatedMessage
from adapters.slack.threads import thread_context
from bot import texts
from bot.models import Answer

log = logging.getLogger(__name__)

PLATFORM = "slack"


@dataclass(frozen=True)
class Asked:
    """What Slack says about the question's message: its ts (a DM's stream and status go in
    its thread) and the asker's team (a channel stream names its recipient)."""

    ts: str | None = None
    team: str | None = None
    files: bool = False  # it came with files or images


Listener = Callable[..., Awaitable[None]]


async def acknowledge(ack: AsyncAck) -> None:
    """Acknowledge at once (Slack waits three seconds at most); lazy listeners do the work."""
    await ack()


class Replies:
    """Everything the Slack listeners share: services, the Web API client, membership."""

    def __init__(
        self,
        services: Services,
        client: AsyncWebClient,
        members: Membership,
        contacts: Mapping[str, str],
    ) -> None:
        self.services = services
        self.client = client
        self.members = members
        self._contacts = dict(contacts)
        self.feedback = services.feedback(PLATFORM)
        self._budget = UpdateBudget()
        self._streaming = services.settings.native.streaming
        self._interval = services.settings.native.stream_interval_s

    async def first_delivery(self, body: dict[str, Any]) -> bool:
        """False for Slack's retries and duplicate deliveries, on whichever replica they land."""
        return await self.services.deliveries.first(*delivery_keys(body))

    async def answer_in_conversation(
        self,
        text: str,
        user: str,
        place: Place,
        *,
        bot_user_id: str | None,
        header: str | None = None,
        asked: Asked | None = None,
    ) -> None:
        """Stream the answer where it was asked (or post "looking it up" and replace it)."""
        reference, target = new_reference(), None
        asked = asked or Asked()
        try:
            await self._show_working(place, asked)
            target = await self._open(place, user, asked)
            question = await to_question(
                text,
                user,
                place,
                self.members,
                bot_user_id=bot_user_id,
                conversation_id=place.conversation_id(target.root_ts),
                thread=await self._earlier_in_thread(place, asked, bot_user_id),
            )
            reply = await self.services.answers.ask(
                question, PLATFORM, target.on_text, attachments=asked.files
            )
            await target.finish(self.render(reply, Extras(header=header)))
        except Exception:
            log.exception("could not answer on Slack (ref %s)", reference)
            await self._apologise(place, target, reference)

    async def _open(self, place: Place, user: str, asked: Asked) -> Target:
        """A native stream where Slack allows one, else the "looking it up" message."""
        thread = place.thread_ts or (asked.ts if is_direct(place.channel) else None)
        direct = is_direct(place.channel)
        if self._streaming and (thread or not direct) and (direct or asked.team):
            recipient = None if direct else (user, str(asked.team))
            try:
                return await NativeStream.start(self.client, place, thread, recipient, self._pacer)
            except SlackApiError as exc:
                log.info("Slack refused to stream (%s); posting and updating", error_code(exc))
        return await UpdatedMessage.post(self.client, place, self._pacer)

    async def _earlier_in_thread(
        self, place: Place, asked: Asked, bot_user_id: str | None
    ) -> tuple[str, ...]:
        """People's messages before a question asked inside a thread (not at its root)."""
        if not (place.thread_ts and asked.ts and place.thread_ts != asked.ts):
            return ()
        return await thread_context(
            self.client,
            place.channel,
            place.thread_ts,
            asked.ts,
            bot_user_id=bot_user_id,
            limit=self.services.settings.native.thread_context_messages,
        )

    def _pacer(self, send: Send) -> PacedText:
        """Partial text at most every DESKMATE_STREAM_INTERVAL, within the workspace budget."""
        return PacedText(send, self._interval, allow=self._budget.take)

    async def _show_working(self, place: Place, asked: Asked) -> None:
        """The assistant status in the app's DMs ("Searching the handbook…"); the answer
        clears it. Best effort: a workspace without the agent features just skips it."""
        thread = place.thread_ts or asked.ts
        if not (is_direct(place.channel) and thread):
            return
        try:
            await self.client.assistant_threads_setStatus(
                channel_id=place.channel,
                thread_ts=thread,
                status=texts.WORKING_STATUS,
                loading_messages=list(texts.WORKING_MESSAGES),
            )
        except SlackApiError as exc:
            log.info("no assistant status in %s (%s)", place.channel, error_code(exc))

    async def answer_privately(
        self,
        text: str,
        user: str,
        place: Place,
        *,
        bot_user_id: str | None = None,
        respond: AsyncRespond | None = None,
        shareable: bool = False,
    ) -> None:
        """An ephemeral answer from the asker's own groups (not kept as thread memory, so it
        never feeds a later answer in the shared thread)."""
        reference = new_reference()
        try:
            question = await to_question(
                text, user, place, self.members, bot_user_id=bot_user_id, conversation_id=None
            )
            reply = await self.services.answers.ask(question, PLATFORM)
            share = shareable and not reply.failed and not is_direct(place.channel)
            for message in self.render(reply, Extras(shareable=share)):
                await self.ephemeral(place, user, message, respond)
        except Exception:
            log.exception("could not answer privately on Slack (ref %s)", reference)
            error = text_message(texts.ERROR.format(ref=reference))
            await self._quietly(self.ephemeral(place, user, error, respond))

    def render(self, reply: Reply, extras: Extras) -> list[Message]:
        if reply.answer is None:
            note = f"\n\n_{reply.attachment_note}_" if reply.attachment_note else ""
            return [text_message(reply.text + note)]
        contact = self.contact_for(reply.answer)
        return answer_messages(
            reply.answer,
            Extras(
                contact=contact,
                shareable=extras.shareable,
                header=extras.header,
                note=reply.attachment_note,
            ),
        )

    def contact_for(self, answer: Answer) -> str | None:
        """Who "Ask a human" reaches: the engine's suggestion, else the first cited source's."""
        if answer.contacts:
            return answer.contacts[0]
        for citation in answer.citations:
            if citation.source in self._contacts:
                return self._contacts[citation.source]
        return None

    async def post(self, place: Place, message: Message) -> str:
        posted = await self.client.chat_postMessage(
            channel=place.channel,
            thread_ts=place.thread_ts,
            text=message.text,
            blocks=message.blocks,
        )
        return str(posted["ts"])

    async def ephemeral(
        self, place: Place, user: str, message: Message, respond: AsyncRespond | None = None
    ) -> None:
        """Only `user` sees it; through `response_url` where the bot is not in the channel."""
        try:
            await self.client.chat_postEphemeral(
                channel=place.channel,
                user=user,
                thread_ts=place.thread_ts,
                text=message.text,
                blocks=message.blocks,
            )
        except SlackApiError:
            if respond is None:
                raise
            await respond(
                text=message.text,
                blocks=message.blocks,
                response_type="ephemeral",
                replace_original=False,
            )

    def reporting(self, listener: Listener) -> Listener:
        """A lazy listener whose failure is logged with a reference id and shown to the user
        (bolt alone would log one line and leave them waiting)."""

        @functools.wraps(listener)
        async def run(**kwargs: Any) -> None:
            try:
                await listener(**kwargs)
            except Exception:
                reference = new_reference()
                log.exception("Slack listener %s failed (ref %s)", listener.__name__, reference)
                error = text_message(texts.ERROR.format(ref=reference))
                await self._quietly(self._report(kwargs.get("body") or {}, error, kwargs))

        return run

    async def _report(self, body: dict[str, Any], error: Message, kwargs: dict[str, Any]) -> None:
        if body.get("event"):  # an event: the reply goes where the answer would have gone
            event = body["event"]
            await self.post(place_of(event), error)
        elif body.get("command"):
            place = Place(str(body["channel_id"]), None, private=True)
            await self.ephemeral(place, str(body["user_id"]), error, kwargs.get("respond"))
        elif (body.get("user") or {}).get("id") and clicked_place(body).channel:
            await self.ephemeral(clicked_place(body), str(body["user"]["id"]), error)

    async def _apologise(self, place: Place, target: Target | None, reference: str) -> None:
        """The last resort: the error replaces the answer's message, or follows it."""
        message = text_message(texts.ERROR.format(ref=reference))
        if target is not None:
            try:
                await target.fail(message)
                return
            except Exception:
                log.warning("could not show the error in place (ref %s)", reference)
        await self._quietly(self.post(place, message))

    @staticmethod
    async def _quietly(work: Awaitable[Any]) -> None:
        try:
            await work
        except Exception:
            log.exception("could not tell the user about an error either")
