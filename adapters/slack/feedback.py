"""👍 / 👎 on an answer: stored with the answer's question and sources, thanked visibly;
a 👎 opens a modal for an optional comment.

Answers carry Slack's native `feedback_buttons` (one action, the rating in the clicked
button's value); answers posted before them carry two plain buttons, which still work."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from adapters.chat.feedback import Rating
from adapters.slack.members import error_code
from adapters.slack.questions import Place, clicked_place
from adapters.slack.render import (
    ACTION_FEEDBACK,
    ACTION_HELPFUL,
    ACTION_NOT_HELPFUL,
    COMMENT_BLOCK,
    FEEDBACK_MODAL,
    RATING_DOWN,
    RATING_UP,
    feedback_modal,
    read_value,
    text_message,
)
from adapters.slack.replies import Replies, acknowledge

log = logging.getLogger(__name__)


def comment_of(view: dict[str, Any]) -> str | None:
    values = (view.get("state") or {}).get("values") or {}
    value = (values.get(COMMENT_BLOCK) or {}).get(COMMENT_BLOCK, {}).get("value")
    return value.strip() or None if isinstance(value, str) else None


def register(app: AsyncApp, replies: Replies) -> None:
    feedback = replies.feedback

    async def rate(body: dict[str, Any], rating: Rating) -> None:
        answer_id = read_value(body["actions"][0].get("value", "")).get("answer", "")
        user = str(body["user"]["id"])
        thanks = await feedback.rate(answer_id, user, rating)
        await replies.ephemeral(clicked_place(body), user, text_message(thanks))

    async def helpful(body: dict[str, Any]) -> None:
        await rate(body, 1)

    async def not_helpful(body: dict[str, Any]) -> None:
        answer_id = read_value(body["actions"][0].get("value", "")).get("answer", "")
        place = clicked_place(body)
        metadata = json.dumps(
            {"answer": answer_id, "channel": place.channel, "thread": place.thread_ts}
        )
        try:  # first: the trigger id expires three seconds after the click
            await replies.client.views_open(
                trigger_id=body["trigger_id"], view=feedback_modal(metadata)
            )
        except SlackApiError as exc:
            log.warning("could not open the feedback modal: %s", error_code(exc))
        await rate(body, -1)

    async def native(body: dict[str, Any]) -> None:
        rating = read_value(body["actions"][0].get("value", "")).get("rating")
        if rating == RATING_UP:
            await helpful(body)
        elif rating == RATING_DOWN:
            await not_helpful(body)

    async def commented(body: dict[str, Any], view: dict[str, Any]) -> None:
        comment = comment_of(view)
        about = read_value(view.get("private_metadata", ""))
        user = str(body["user"]["id"])
        if not comment or not about.get("answer"):
            return
        thanks = await feedback.comment(about["answer"], user, comment)
        place = Place(about.get("channel", ""), about.get("thread") or None, private=True)
        if place.channel:
            await replies.ephemeral(place, user, text_message(thanks))

    app.action(ACTION_FEEDBACK)(ack=acknowledge, lazy=[replies.reporting(native)])
    app.action(ACTION_HELPFUL)(ack=acknowledge, lazy=[replies.reporting(helpful)])
    app.action(ACTION_NOT_HELPFUL)(ack=acknowledge, lazy=[replies.reporting(not_helpful)])
    app.view(FEEDBACK_MODAL)(ack=acknowledge, lazy=[replies.reporting(commented)])
