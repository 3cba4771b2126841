"""The slash command: `/deskmate ask <question>`, `status`, `reindex [source…]`, `admin`,
`help`.

Whatever name the command has in the app manifest, it is handled here; what each command
means is `adapters.chat.commands`. Help and refusals are the acknowledgement itself; everything
else is acknowledged at once and answered ephemerally by a lazy listener.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from adapters.chat.commands import COUNT_KEYS, Status, is_admin, parse
from adapters.chat.references import new_reference
from adapters.slack.questions import Place
from adapters.slack.render import mrkdwn_message, text_message
from adapters.slack.replies import Replies
from bot import texts

log = logging.getLogger(__name__)


def status_text(status: Status, command: str) -> str:
    stats, run = status.sources, status.last_run
    if stats:
        lines = [
            texts.STATUS_HEADER.format(
                documents=sum(s.documents for s in stats),
                chunks=sum(s.chunks for s in stats),
                sources=len(stats),
            )
        ]
        lines += [
            texts.STATUS_SOURCE.format(
                source=s.source,
                documents=s.documents,
                when=f"{s.last_indexed:%Y-%m-%d %H:%M} UTC" if s.last_indexed else "never",
            )
            for s in stats
        ]
    else:
        lines = [texts.STATUS_EMPTY]
    if status.running:
        lines.append(texts.STATUS_RUNNING)
    if run is None:
        return "\n".join([*lines, texts.STATUS_NO_RUN.format(command=command)])
    counts = ", ".join(f"{run.counts[k]} {k}" for k in COUNT_KEYS if k in run.counts)
    started = f"{run.started_at:%Y-%m-%d %H:%M} UTC"
    last = texts.STATUS_LAST_RUN.format(
        status=run.status, trigger=run.trigger, started=started, counts=counts
    )
    return "\n".join([*lines, last])


def register(app: AsyncApp, replies: Replies) -> None:
    services = replies.services
    admins = services.settings.serve.admin_ids

    async def acknowledge(ack: AsyncAck, command: dict[str, Any]) -> None:
        parsed = parse(command.get("text", ""))
        if parsed.name == "help":
            await ack(text=texts.HELP.format(command=command["command"]))
        elif parsed.name == "reindex" and not is_admin(admins, command["user_id"]):
            await ack(text=texts.REINDEX_NOT_ADMIN)
        elif parsed.name == "admin" and not is_admin(admins, command["user_id"]):
            await ack(text=texts.ADMIN_NOT_ADMIN)
        elif parsed.name in ("digest_here", "digest_off"):  # Slack's is a setting
            await ack(text=texts.DIGEST_SLACK_CHANNEL)
        elif parsed.name == "ask":
            await ack(text=texts.LOOKING_UP if parsed.argument else texts.EMPTY_QUESTION)
        else:
            await ack()

    async def run(command: dict[str, Any], respond: AsyncRespond) -> None:
        parsed = parse(command.get("text", ""))
        user = str(command["user_id"])
        place = Place(str(command["channel_id"]), None, private=True)
        if parsed.name == "ask" and parsed.argument:
            await replies.answer_privately(
                parsed.argument, user, place, respond=respond, shareable=True
            )
            return
        if parsed.name == "status":
            groups = await replies.members.groups_of(user)
            status = await _safely(_status(replies, command["command"], groups))
            message = mrkdwn_message(status)
        elif parsed.name == "reindex" and is_admin(admins, user):
            message = text_message(await _safely(_reindex(replies, user, parsed.sources)))
        elif parsed.name == "admin" and is_admin(admins, user):  # ephemeral: the asker's only
            message = text_message(await _safely(services.commands.admin_link(user)))
        else:
            return
        await replies.ephemeral(place, user, message, respond)

    app.command(re.compile(r"^/"))(ack=acknowledge, lazy=[replies.reporting(run)])


async def _status(replies: Replies, command: str, groups: frozenset[str]) -> str:
    """What the asker may know about: only sources of documents their groups may see."""
    return status_text(await replies.services.commands.status(groups), command)


async def _reindex(replies: Replies, admin: str, only: tuple[str, ...]) -> str:
    async def notify(text: str) -> None:
        await replies.client.chat_postMessage(channel=admin, text=text)  # the admin's DM

    return await replies.services.commands.reindex(f"slack:{admin}", only, notify)


async def _safely(work: Awaitable[str]) -> str:
    reference = new_reference()
    try:
        return await work
    except Exception:
        log.exception("slash command failed (ref %s)", reference)
        return texts.ERROR.format(ref=reference)
