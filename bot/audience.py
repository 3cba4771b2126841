"""Who may hear what: the one access rule for every conversation, whatever the platform.

In private only the asker listens: the audience is the asker's groups. In a shared conversation
everyone in it listens, so an answer may use only what all of them may see, and never more than
the asker may see. A member list that cannot be read, or is longer than `MAX_LISTENERS`, cannot
decide access: the audience is then `everyone` only. Adapters only supply the listeners; the
rule, the cap and the cache of member lists live here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Sequence

from bot.groups import Directory
from bot.models import EVERYONE, Asker

log = logging.getLogger(__name__)

ONLY_EVERYONE = frozenset({EVERYONE})
MAX_LISTENERS = 10_000
TTL_SECONDS = 60.0

ReadListeners = Callable[[], AsyncIterable[Asker]]
Complete = Callable[[Asker], Awaitable[Asker]]


class TooManyListeners(Exception):
    """The member list is longer than the cap; a partial list must not decide access."""


class Audience:
    """The access rule, with each conversation's member list cached for `ttl` seconds."""

    def __init__(
        self,
        directory: Directory,
        *,
        ttl: float = TTL_SECONDS,
        max_listeners: int = MAX_LISTENERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = directory
        self._ttl = ttl
        self._max = max_listeners
        self._clock = clock
        self._listeners: dict[str, tuple[float, tuple[Asker, ...]]] = {}

    def private(self, asker: Asker) -> frozenset[str]:
        """Only the asker listens: their own groups."""
        return self.directory.groups_of(asker)

    async def shared(
        self,
        asker: Asker,
        listeners: Sequence[Asker] | None,
        complete: Complete | None = None,
    ) -> frozenset[str]:
        """What every listener may see, within the asker's own groups; `everyone` only when
        the listeners are unknown (None).

        `complete` adds what the platform knows besides a listener's id (their e-mail); it is
        asked only when the id alone would narrow what may be said."""
        if listeners is None:
            return ONLY_EVERYONE
        shared: frozenset[str] | None = None
        for listener in listeners:
            groups = self.directory.groups_of(listener)
            if complete is not None and (shared is None or not shared <= groups):
                groups = self.directory.groups_of(await complete(listener))
            shared = groups if shared is None else shared & groups
            if shared == ONLY_EVERYONE:
                break
        return (shared if shared is not None else ONLY_EVERYONE) & self.private(asker)

    async def listeners(self, conversation: str, read: ReadListeners) -> tuple[Asker, ...] | None:
        """The members of `conversation` (cached), or None when they cannot all be read."""
        now = self._clock()
        cached = self._listeners.get(conversation)
        if cached and cached[0] > now:
            return cached[1]
        try:
            found = await self._read(read)
        except Exception as exc:
            log.warning(
                "cannot read the members of %s (%s); answering from documents everyone may see",
                conversation,
                type(exc).__name__,
            )
            return None
        self._listeners[conversation] = (now + self._ttl, found)
        return found

    def forget(self, conversation: str) -> None:
        """Membership changed: read the listeners again next time."""
        self._listeners.pop(conversation, None)

    async def _read(self, read: ReadListeners) -> tuple[Asker, ...]:
        found: list[Asker] = []
        async for listener in read():
            if len(found) >= self._max:
                raise TooManyListeners(f"more than {self._max} members")
            found.append(listener)
        return tuple(found)
