"""Events: @mentions in channels, messages in DMs, membership changes.

Bolt acknowledges each event at once; the answer is a lazy listener (see `app.py`), and the
first thing it does is drop Slack's retries and duplicate deliveries.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from adapters.slack.questions import is_direct, place_of
from adapters.slack.replies import Asked, Replies, acknowledge

# Plain messages, files with a caption, and thread replies also sent to the channel.
ASKING_SUBTYPES = [None, "file_share", "thread_broadcast"]


async def in_direct_message(event: dict[str, Any]) -> bool:
    return is_direct(str(event.get("channel", "")), event.get("channel_type"))


def register(app: AsyncApp, replies: Replies) -> None:
    async def answer(
        body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        if event.get("bot_id") or not event.get("user"):
            return  # other bots and system messages: no conversations between bots
        if not await replies.first_delivery(body):
            return
        await replies.answer_in_conversation(
            str(event.get("text") or ""),
            str(event["user"]),
            place_of(event),
            bot_user_id=context.bot_user_id,
            asked=Asked(
                ts=event.get("ts"),
                team=event.get("team") or body.get("team_id"),
                files=bool(event.get("files")),
            ),
        )

    async def on_mention(
        body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        if not is_direct(str(event.get("channel", ""))):  # a DM arrives as `message.im` too
            await answer(body, event, context)

    async def on_membership(event: dict[str, Any]) -> None:
        replies.members.forget(str(event.get("channel", "")))

    app.event("app_mention")(ack=acknowledge, lazy=[replies.reporting(on_mention)])
    app.event({"type": "message", "subtype": ASKING_SUBTYPES}, matchers=[in_direct_message])(
        ack=acknowledge, lazy=[replies.reporting(answer)]
    )
    app.event("message")(acknowledge)  # edits, deletions, bot posts, channel chatter
    app.event("member_joined_channel")(ack=acknowledge, lazy=[replies.reporting(on_membership)])
    app.event("member_left_channel")(ack=acknowledge, lazy=[replies.reporting(on_membership)])
