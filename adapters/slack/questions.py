"""Slack events -> `Question`: the text without the mention, where to reply, who is listening."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from adapters.slack.members import Membership
from bot.models import Question

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_LABELLED = re.compile(r"<(?:https?://|mailto:)[^|>]*\|([^>]+)>")
_LINK = re.compile(r"<((?:https?://|mailto:)[^>]+)>")
_SPECIAL = re.compile(r"<[#!][^|>]*\|?([^>]*)>")


@dataclass(frozen=True)
class Place:
    """Where a question was asked and the reply goes.

    `thread_ts` is the thread to reply in (None: the top level of a DM); `private` is True
    when only the asker will read the reply (a DM or an ephemeral message).
    """

    channel: str
    thread_ts: str | None
    private: bool

    def conversation_id(self, root_ts: str) -> str:
        """The memory key of the thread; `root_ts` is the reply's own ts at the top level."""
        return f"slack:{self.channel}:{self.thread_ts or root_ts}"


def is_direct(channel: str, channel_type: str | None = None) -> bool:
    return channel_type == "im" or channel.startswith("D")


def place_of(event: dict[str, Any]) -> Place:
    """Mentions in a channel are answered in their thread; DMs where they were written."""
    channel = str(event["channel"])
    if is_direct(channel, event.get("channel_type")):
        return Place(channel, event.get("thread_ts"), private=True)
    return Place(channel, str(event.get("thread_ts") or event["ts"]), private=False)


def clicked_place(body: dict[str, Any]) -> Place:
    """Where a clicked message is: its channel and, when it is in one, its thread;
    private when the message was ephemeral."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id", "")
    thread = container.get("thread_ts") or message.get("thread_ts")
    return Place(str(channel), thread, private=bool(container.get("is_ephemeral")))


def question_text(text: str, bot_user_id: str | None) -> str:
    """What was asked: the bot's mention removed, Slack's markup turned back into text."""

    def mention(match: re.Match[str]) -> str:
        return "" if match.group(1) == bot_user_id else f"@{match.group(1)}"

    text = _MENTION.sub(mention, text or "")
    text = _LABELLED.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _SPECIAL.sub(r"\1", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())


def delivery_keys(body: dict[str, Any]) -> list[str]:
    """Keys that identify one question however often Slack delivers it: the event id, and
    the message itself (an `app_mention` and a `message.im` for the same DM are one question)."""
    event = body.get("event") or {}
    keys = [f"slack:event:{body['event_id']}"] if body.get("event_id") else []
    if event.get("channel") and event.get("ts"):
        keys.append(f"slack:message:{event['channel']}:{event['ts']}")
    return keys


async def to_question(
    text: str,
    user_id: str,
    place: Place,
    members: Membership,
    *,
    bot_user_id: str | None,
    conversation_id: str | None,
    thread: tuple[str, ...] = (),
) -> Question:
    """In private the asker's groups apply; in a channel, what every member may see."""
    asker = await members.asker(user_id)
    asker_groups = await members.groups_of(user_id)
    audience = (
        asker_groups
        if place.private
        else await members.shared_groups(place.channel, asker, bot_user_id)
    )
    return Question(
        text=question_text(text, bot_user_id),
        asker=asker,
        audience=audience,
        asker_groups=asker_groups,
        conversation_id=conversation_id,
        private=place.private,
        thread=thread,
    )
