"""What people said earlier in a thread, for a follow-up asked there (`conversations.replies`).

Bounded: one page of the thread, the last DESKMATE_THREAD_CONTEXT_MESSAGES messages by people
before the question, each cut to `MAX_MESSAGE_CHARS` and `MAX_TOTAL_CHARS` in all. Deskmate's
own and other bots' messages are left out (Deskmate's turns are in its memory already). When
the thread cannot be read (a missing `*:history` scope), the question is answered without it.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.members import error_code
from adapters.slack.questions import question_text

log = logging.getLogger(__name__)

PAGE = 100
MAX_MESSAGE_CHARS = 500
MAX_TOTAL_CHARS = 4000
PEOPLE_SUBTYPES = (None, "thread_broadcast", "file_share")


async def thread_context(
    client: AsyncWebClient,
    channel: str,
    thread_ts: str,
    before_ts: str,
    *,
    bot_user_id: str | None,
    limit: int,
) -> tuple[str, ...]:
    """People's messages in the thread before `before_ts`, oldest first."""
    if limit <= 0:
        return ()
    try:
        response = await client.conversations_replies(channel=channel, ts=thread_ts, limit=PAGE)
    except SlackApiError as exc:
        log.info("cannot read the thread %s in %s (%s)", thread_ts, channel, error_code(exc))
        return ()
    said = [
        question_text(str(m.get("text") or ""), bot_user_id)[:MAX_MESSAGE_CHARS]
        for m in response.get("messages") or []
        if _by_a_person(m, before_ts)
    ]
    kept: list[str] = []
    total = 0
    for text in reversed([s for s in said if s][-limit:]):
        total += len(text)
        if total > MAX_TOTAL_CHARS:
            break
        kept.append(text)
    return tuple(reversed(kept))


def _by_a_person(message: dict[str, Any], before_ts: str) -> bool:
    return (
        not message.get("bot_id")
        and bool(message.get("user"))
        and message.get("subtype") in PEOPLE_SUBTYPES
        and float(message.get("ts") or 0) < float(before_ts)
    )
