"""The agent messaging experience: suggested prompts when someone opens the Messages tab.

Slack sends `app_home_opened` with `tab == "messages"`; Deskmate then sets the prompts with
`assistant.threads.setSuggestedPrompts` on the DM itself, *without* `thread_ts` (with one the
call silently does nothing for agent apps). The prompts only name documents that person may
see. (The "Searching the handbook…" status while answering lives in `replies.py`.)
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from adapters.chat.prompts import suggested_prompts
from adapters.slack.members import error_code
from adapters.slack.replies import Replies, acknowledge
from bot import texts

log = logging.getLogger(__name__)


def register(app: AsyncApp, replies: Replies) -> None:
    runtime = replies.services.runtime
    configured = replies.services.settings.native.prompt_list

    async def on_home_opened(event: dict[str, Any]) -> None:
        channel, user = str(event.get("channel") or ""), str(event.get("user") or "")
        if event.get("tab") != "messages" or not channel or not user:
            return
        groups = await replies.members.groups_of(user)
        prompts = await suggested_prompts(configured, runtime.store.documents, groups)
        try:
            await replies.client.assistant_threads_setSuggestedPrompts(
                channel_id=channel,
                title=texts.SUGGESTED_PROMPTS_TITLE,
                prompts=[{"title": p.title, "message": p.message} for p in prompts],
            )
        except SlackApiError as exc:
            log.info("could not set suggested prompts in %s (%s)", channel, error_code(exc))

    app.event("app_home_opened")(ack=acknowledge, lazy=[replies.reporting(on_home_opened)])
