"""The "Ask a human" button: hand the question to the contact of the cited source.

A contact like `#it-help` gets the question posted in that help channel with a link to the
conversation; a user group like `@hr-team` is mentioned in the question's thread. A question
asked in private is never made public in a thread: the asker is told whom to contact.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from adapters.chat.references import new_reference
from adapters.slack.members import PEOPLE_TTL_S, TtlCache, error_code
from adapters.slack.questions import Place, clicked_place, is_direct
from adapters.slack.render import ACTION_HANDOFF, escape, mrkdwn_message, read_value
from adapters.slack.replies import Replies, acknowledge
from bot import texts

log = logging.getLogger(__name__)


class Handoff:
    def __init__(self, replies: Replies) -> None:
        self._replies = replies
        self._client = replies.client
        self._group_ids = TtlCache(PEOPLE_TTL_S)

    async def hand_over(self, body: dict[str, Any]) -> None:
        value = read_value(body["actions"][0].get("value", ""))
        contact, user = value.get("contact", ""), str(body["user"]["id"])
        place = clicked_place(body)
        stored = await self._replies.feedback.answer(value.get("answer", ""))
        if stored is None or not contact:
            await self._tell(place, user, texts.ANSWER_GONE)
            return
        question = escape(stored.question)
        reference = new_reference()
        try:
            if contact.startswith("#"):
                await self._to_channel(contact, user, question, body, place)
            elif contact.startswith("@") and not (place.private or is_direct(place.channel)):
                await self._to_group(contact, user, question, body, place)
            else:
                await self._tell(place, user, texts.HANDOFF_DIRECT.format(contact=escape(contact)))
                return
        except SlackApiError as exc:
            log.warning("hand-off to %s failed (ref %s): %s", contact, reference, exc)
            failed = texts.HANDOFF_FAILED.format(contact=escape(contact), ref=reference)
            await self._tell(place, user, failed)
            return
        await self._tell(place, user, texts.HANDOFF_SENT.format(contact=escape(contact)))

    async def _to_channel(
        self, contact: str, user: str, question: str, body: dict[str, Any], place: Place
    ) -> None:
        text = texts.HANDOFF_REQUEST.format(user=user, question=question)
        private = place.private or is_direct(place.channel)  # a link nobody else can open
        link = None if private else await self._permalink(place.channel, body)
        if link:
            text += "\n" + texts.HANDOFF_LINK.format(url=link)
        await self._client.chat_postMessage(channel=contact.lstrip("#"), text=text)

    async def _to_group(
        self, contact: str, user: str, question: str, body: dict[str, Any], place: Place
    ) -> None:
        thread = place.thread_ts or (body.get("container") or {}).get("message_ts")
        text = texts.HANDOFF_MENTION.format(
            contact=await self._mention(contact), user=user, question=question
        )
        await self._client.chat_postMessage(channel=place.channel, thread_ts=thread, text=text)

    async def _mention(self, contact: str) -> str:
        """`@hr-team` as a real user-group mention when the workspace has that group."""
        handle = contact.lstrip("@")
        cached, group_id = self._group_ids.get(handle)
        if not cached:
            try:
                response = await self._client.usergroups_list()
                for group in response.get("usergroups") or []:
                    self._group_ids.put(str(group.get("handle")), group.get("id"))
            except SlackApiError as exc:
                log.info("cannot list user groups (%s)", error_code(exc))
            cached, group_id = self._group_ids.get(handle)
            if not cached:
                self._group_ids.put(handle, None)
        return f"<!subteam^{group_id}>" if group_id else escape(contact)

    async def _permalink(self, channel: str, body: dict[str, Any]) -> str | None:
        message_ts = (body.get("container") or {}).get("message_ts")
        if not message_ts:
            return None
        try:
            response = await self._client.chat_getPermalink(
                channel=channel, message_ts=str(message_ts)
            )
        except SlackApiError:
            return None
        return str(response.get("permalink")) if response.get("permalink") else None

    async def _tell(self, place: Place, user: str, mrkdwn: str) -> None:
        await self._replies.ephemeral(place, user, mrkdwn_message(mrkdwn))


def register(app: AsyncApp, replies: Replies) -> None:
    handoff = Handoff(replies)

    async def ask_human(body: dict[str, Any]) -> None:
        await handoff.hand_over(body)

    app.action(ACTION_HANDOFF)(ack=acknowledge, lazy=[replies.reporting(ask_human)])
