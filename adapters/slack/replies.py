"""How a question becomes a visible Slack reply, whatever happens on the way.

In a conversation: post "looking it up" at once, stream into it, then replace it with the
answer (more messages when it is long). In private: an ephemeral answer. Any failure ends in a
short message with a reference id; the log has the detail.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.chat.answer_service import Reply
from adapters.chat.references import new_reference
from adapters.chat.services import Services
from adapters.slack.members import Membership
from adapters.slack.questions import (
    Place,
    clicked_place,
    delivery_keys,
    is_direct,
    place_of,
    to_question,
)
from adapters.slack.render import Extras, Message, answer_messages, text_message
from adapters.slack.streaming import StreamingMessage, UpdateBudget
from bot import texts
from bot.models import Answer

log = logging.getLogger(__name__)

PLATFORM = "slack"

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
    ) -> None:
        """Post "looking it up" at once, stream into it, then replace it with the answer."""
        reference, ts = new_reference(), None
        try:
            posted = await self.client.chat_postMessage(
                channel=place.channel, thread_ts=place.thread_ts, text=texts.LOOKING_UP
            )
            ts = str(posted["ts"])
            question = await to_question(
                text,
                user,
                place,
                self.members,
                bot_user_id=bot_user_id,
                conversation_id=place.conversation_id(ts),
            )
            stream = StreamingMessage(self.client, place.channel, ts, self._budget)
            reply = await self.services.answers.ask(question, PLATFORM, stream.on_text)
            await stream.close()
            messages = self.render(reply, Extras(header=header))
            first, *more = messages
            await self.client.chat_update(
                channel=place.channel, ts=ts, text=first.text, blocks=first.blocks
            )
            for message in more:
                await self.post(place, message)
        except Exception:
            log.exception("could not answer on Slack (ref %s)", reference)
            await self._apologise(place, ts, reference)

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
            return [text_message(reply.text)]
        contact = self.contact_for(reply.answer)
        return answer_messages(
            reply.answer,
            Extras(contact=contact, shareable=extras.shareable, header=extras.header),
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

    async def _apologise(self, place: Place, ts: str | None, reference: str) -> None:
        """The last resort: the error replaces "looking it up", or follows it."""
        message = text_message(texts.ERROR.format(ref=reference))
        if ts is not None:
            try:
                await self.client.chat_update(
                    channel=place.channel, ts=ts, text=message.text, blocks=message.blocks
                )
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
