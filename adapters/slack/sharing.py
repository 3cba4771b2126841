"""Moving an answer between private and shared.

"Share in channel" (under an ephemeral `/deskmate ask` answer) answers the question again for
the channel: everyone there may see what is said, so it is answered from what they all share.
"Answer me privately" (under a channel answer that had a better private one) answers the
clicker ephemerally from their own groups.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond

from adapters.slack.questions import Place, clicked_place
from adapters.slack.render import ACTION_PRIVATE, ACTION_SHARE, escape, read_value, text_message
from adapters.slack.replies import Asked, Replies, acknowledge
from bot import texts

log = logging.getLogger(__name__)


def register(app: AsyncApp, replies: Replies) -> None:
    async def question_of(body: dict[str, Any]) -> str | None:
        answer_id = read_value(body["actions"][0].get("value", "")).get("answer", "")
        stored = await replies.feedback.answer(answer_id)
        return stored.question if stored else None

    async def share(body: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond) -> None:
        user, place = str(body["user"]["id"]), clicked_place(body)
        question = await question_of(body)
        if question is None:
            await replies.ephemeral(place, user, text_message(texts.ANSWER_GONE), respond)
            return
        await replies.answer_in_conversation(
            question,
            user,
            Place(place.channel, None, private=False),
            bot_user_id=context.bot_user_id,
            header=texts.SHARED_BY.format(user=user, question=escape(question)),
            asked=Asked(team=(body.get("team") or {}).get("id") or body["user"].get("team_id")),
        )
        try:
            await respond(delete_original=True)  # the ephemeral copy has done its job
        except Exception as exc:
            log.info("could not remove the ephemeral answer: %s", exc)

    async def answer_privately(body: dict[str, Any], context: AsyncBoltContext) -> None:
        user, place = str(body["user"]["id"]), clicked_place(body)
        question = await question_of(body)
        private = Place(place.channel, place.thread_ts, private=True)
        if question is None:
            await replies.ephemeral(private, user, text_message(texts.ANSWER_GONE))
            return
        await replies.answer_privately(question, user, private, bot_user_id=context.bot_user_id)

    app.action(ACTION_SHARE)(ack=acknowledge, lazy=[replies.reporting(share)])
    app.action(ACTION_PRIVATE)(ack=acknowledge, lazy=[replies.reporting(answer_privately)])
