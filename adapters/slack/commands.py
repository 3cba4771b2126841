"""The slash command: `/deskmate ask <question>`, `status`, `reindex [source…]`, `help`.

Whatever name the command has in the app manifest, it is handled here. Help and refusals
are the acknowledgement itself; everything else is acknowledged at once and answered
ephemerally by a lazy listener.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from adapters.console import COUNT_KEYS
from adapters.runtime import Runtime
from adapters.slack.questions import Place
from adapters.slack.render import mrkdwn_message, text_message
from adapters.slack.replies import Replies, new_reference
from bot import texts
from bot.errors import ConfigError
from bot.store import SourceStats
from bot.store.runs import IndexRun

log = logging.getLogger(__name__)

SUBCOMMANDS = ("ask", "status", "reindex", "help")


@dataclass(frozen=True)
class Command:
    name: str
    argument: str


def parse(text: str) -> Command:
    """`ask …`, `status`, `reindex …`, `help`; any other text is a question."""
    word, _, rest = (text or "").strip().partition(" ")
    if not word:
        return Command("help", "")
    if word.lower() in SUBCOMMANDS:
        return Command(word.lower(), rest.strip())
    return Command("ask", text.strip())


def status_text(stats: Sequence[SourceStats], runs: Sequence[IndexRun], command: str) -> str:
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
    if not runs:
        return "\n".join([*lines, texts.STATUS_NO_RUN.format(command=command)])
    run = runs[0]
    counts = ", ".join(f"{run.counts[k]} {k}" for k in COUNT_KEYS if k in run.counts)
    started = f"{run.started_at:%Y-%m-%d %H:%M} UTC"
    last = texts.STATUS_LAST_RUN.format(
        status=run.status, trigger=run.trigger, started=started, counts=counts
    )
    return "\n".join([*lines, last])


def register(app: AsyncApp, replies: Replies) -> None:
    admins = replies.services.settings.admin_ids

    async def acknowledge(ack: AsyncAck, command: dict[str, Any]) -> None:
        parsed = parse(command.get("text", ""))
        if parsed.name == "help":
            await ack(text=texts.HELP.format(command=command["command"]))
        elif parsed.name == "reindex" and command["user_id"] not in admins:
            await ack(text=texts.REINDEX_NOT_ADMIN)
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
            status = await _safely(_status(replies.services.runtime, command["command"]))
            message = mrkdwn_message(status)
        elif parsed.name == "reindex" and user in admins:
            message = text_message(await _safely(_reindex(replies, user, parsed.argument.split())))
        else:
            return
        await replies.ephemeral(place, user, message, respond)

    app.command(re.compile(r"^/"))(ack=acknowledge, lazy=[replies.reporting(run)])


async def _status(runtime: Runtime, command: str) -> str:
    return status_text(await runtime.store.stats(), await runtime.store.runs.recent(1), command)


async def _reindex(replies: Replies, admin: str, only: list[str]) -> str:
    try:
        known = [s.name for s in replies.services.runtime.configured_sources()]
    except ConfigError:
        return texts.REINDEX_NO_SOURCES
    unknown = [name for name in only if name not in known]
    if unknown:
        return texts.REINDEX_UNKNOWN_SOURCE.format(
            unknown=", ".join(unknown), known=", ".join(known)
        )

    async def notify(text: str) -> None:
        await replies.client.chat_postMessage(channel=admin, text=text)  # the admin's DM

    return await replies.services.reindexer.request(f"slack:{admin}", only, notify)


async def _safely(work: Awaitable[str]) -> str:
    reference = new_reference()
    try:
        return await work
    except Exception:
        log.exception("slash command failed (ref %s)", reference)
        return texts.ERROR.format(ref=reference)
