"""Commands, whichever platform they are typed on: `help`, `status`, `reindex [source…]`,
`admin` (a sign-in link to the admin console), `digest here` and `digest off` (where the admin
notices go, see `admin_conversation.py`) and `ask <question>`; any other text is a question.

The handlers return neutral results (texts, or the facts a status shows); each platform renders
them. `reindex`, `admin` and `digest` are for the ids in `DESKMATE_ADMINS`; `reindex` runs as
one background job for every platform, so a request while a run is in progress anywhere is
refused.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from adapters.chat.reindex_requests import Notify, Reindexer
from adapters.console.auth import SignIns
from adapters.runtime import Runtime
from bot import texts
from bot.errors import ConfigError
from bot.store import SourceStats
from bot.store.runs import IndexRun

CommandName = Literal["ask", "status", "reindex", "admin", "digest_here", "digest_off", "help"]
log = logging.getLogger(__name__)

COUNT_KEYS = ("added", "updated", "unchanged", "deleted", "failed")  # a run's counts, as shown


@dataclass(frozen=True)
class Command:
    name: CommandName
    argument: str = ""

    @property
    def sources(self) -> tuple[str, ...]:
        """`reindex`'s source names."""
        return tuple(self.argument.split())


def parse(text: str) -> Command:
    """The command in `text`; a question is `ask` with the text as its argument.

    `help` and `status` stand alone (with more words the text is a question); nothing at all
    asks for help."""
    stripped = (text or "").strip()
    word, _, rest = stripped.removeprefix("/").partition(" ")
    name = word.lower()
    if not name:
        return Command("help")
    if name == "help" and not rest.strip():
        return Command("help")
    if name == "status" and not rest.strip():
        return Command("status")
    if name == "admin" and not rest.strip():
        return Command("admin")
    if name == "digest" and rest.strip().lower() in ("here", "off"):
        return Command("digest_here" if rest.strip().lower() == "here" else "digest_off")
    if name == "reindex":
        return Command("reindex", rest.strip())
    if name == "ask":
        return Command("ask", rest.strip())
    return Command("ask", stripped)


def is_admin(admins: Iterable[str], *ids: str | None) -> bool:
    """Whether any of the sender's ids (platform id, AAD object id, e-mail) is an admin's."""
    known = {a.strip().lower() for a in admins if a.strip()}
    return any(i and i.lower() in known for i in ids)


@dataclass(frozen=True)
class Status:
    """What `status` shows: the sources, the last run, and whether a run is going on."""

    sources: tuple[SourceStats, ...]
    last_run: IndexRun | None
    running: bool


@dataclass(frozen=True)
class Knowledge:
    """What the bot can tell everyone it knows (sources everyone may see)."""

    documents: int
    sources: tuple[str, ...]


class Commands:
    def __init__(self, runtime: Runtime, reindexer: Reindexer, sign_ins: SignIns) -> None:
        self._runtime = runtime
        self._reindexer = reindexer
        self._sign_ins = sign_ins

    async def admin_link(self, admin: str) -> str:
        """A one-time sign-in link to the admin console, to show only to `admin`; the caller
        has checked `is_admin` and that the reply is private."""
        link = await self._sign_ins.link(admin)
        minutes = self._runtime.settings.console.admin_link_minutes
        return texts.ADMIN_LINK.format(link=link, minutes=minutes)

    async def status(self, groups: frozenset[str]) -> Status:
        """What readers with `groups` may know about: only sources of documents they may see."""
        stats = await self._runtime.store.stats(groups)
        runs = await self._runtime.store.runs.recent(1)
        running = await self._reindexer.running()
        return Status(tuple(stats), runs[0] if runs else None, running)

    async def knowledge(self) -> Knowledge:
        """What everyone may know about (a knowledge base built with `deskmate index PATH`
        is public); an invalid `sources.yaml` names no sources."""
        try:
            public = self._runtime.public_sources()
        except ConfigError:
            log.warning("welcome: sources.yaml is not valid; naming no sources")
            public = set()
        stats = [
            s for s in await self._runtime.store.stats() if public is None or s.source in public
        ]
        return Knowledge(sum(s.documents for s in stats), tuple(s.source for s in stats))

    async def reindex(self, trigger: str, only: Sequence[str], notify: Notify) -> str:
        """Start a background re-index of `only` (every source when empty), or say why not;
        the caller has checked `is_admin`. `notify` hears how it ended."""
        try:
            unknown = self._runtime.unknown_sources(only)
        except ConfigError:
            return texts.REINDEX_NO_SOURCES
        if unknown:
            known = [s.name for s in self._runtime.sources]
            return texts.REINDEX_UNKNOWN.format(unknown=", ".join(unknown), known=", ".join(known))
        return await self._reindexer.request(trigger, only, notify)
