"""Where a platform's admin notices (the weekly digest, a failed nightly re-index) go when no
setting names a place for them: the conversation an admin chose by typing `digest here`.

The choice is stored in the database, so it survives restarts and every replica sends there;
choosing again moves it, `digest off` ends it. The notice reads the choice when it is sent, so
a conversation chosen after the server started is used. The platform only says how to send to
its stored reference; when it says the conversation is gone for good (the bot was removed from
it), the notice is dropped with a warning and the choice forgotten.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot import texts
from bot.store.admin import AdminStore

log = logging.getLogger(__name__)

Reference = dict[str, Any]  # a platform's own serialised reference to a conversation
Send = Callable[[Reference, str], Awaitable[None]]


class ConversationGone(Exception):
    """The platform refused a message to the conversation for good (HTTP 403 or 404)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"the conversation refused the message with HTTP {status}")
        self.status = status


class AdminConversation:
    def __init__(self, store: AdminStore, platform: str, send: Send) -> None:
        self._store = store
        self._platform = platform
        self._send = send

    async def choose(self, conversation: str, reference: Reference, admin: str) -> str:
        """Send the admin notices to `conversation` (the platform's id of the one `reference`
        names) from now on; the caller has checked `is_admin`. What to tell the admin."""
        before = await self._store.choose_conversation(
            self._platform, conversation, reference, admin
        )
        if before == conversation:
            return texts.DIGEST_ALREADY_HERE
        log.info("%s: admin notices now go to a newly chosen conversation", self._platform)
        return texts.DIGEST_HERE if before is None else texts.DIGEST_MOVED

    async def stop(self) -> str:
        """Send no admin notices any more; the caller has checked `is_admin`."""
        if await self._store.forget_conversation(self._platform):
            return texts.DIGEST_OFF
        return texts.DIGEST_WAS_OFF

    async def forget_in(self, conversations: set[str]) -> None:
        """The bot left these conversations (a team's are its channels' ids): if the notices
        went to one of them, they go nowhere now."""
        if await self._store.forget_conversation_in(self._platform, sorted(conversations)):
            log.info(
                "%s: the bot was removed from the admin conversation; it is forgotten: an "
                "admin can type `digest here` where notices should go",
                self._platform,
            )

    async def notify(self, text: str) -> bool:
        """Tell the chosen conversation `text`; False when none is chosen or it is gone."""
        reference = await self._store.conversation(self._platform)
        if reference is None:
            return False
        try:
            await self._send(reference, text)
            return True
        except ConversationGone as gone:
            log.warning(
                "%s: the admin conversation refused a notice (HTTP %d; was the bot removed?); "
                "it is forgotten: an admin can type `digest here` where notices should go",
                self._platform,
                gone.status,
            )
            await self._store.forget_conversation(self._platform, reference)
            return False
