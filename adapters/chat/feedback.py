"""👍 / 👎 on an answer, from any platform: stored with the answer's question and sources,
counted in `deskmate_feedback_total`, thanked with the same words everywhere."""

from __future__ import annotations

from typing import Literal

from adapters import metrics
from bot import texts
from bot.store.feedback import FeedbackStore, StoredAnswer

Rating = Literal[1, -1]


class Feedback:
    def __init__(self, store: FeedbackStore, platform: str) -> None:
        self._store = store
        self._platform = platform

    async def rate(self, answer_id: str, user: str, rating: Rating) -> str:
        """Record one user's rating of one answer; the thanks to show them."""
        await self._store.record(answer_id, self._platform, user, rating)
        metrics.FEEDBACK.labels("up" if rating > 0 else "down").inc()
        return texts.FEEDBACK_THANKS_UP if rating > 0 else texts.FEEDBACK_THANKS_DOWN

    async def comment(self, answer_id: str, user: str, comment: str, rating: Rating = -1) -> str:
        """The comment that follows a rating (a 👎 on Slack; either on Teams), already
        counted with the click."""
        await self._store.record(answer_id, self._platform, user, rating, comment)
        return texts.FEEDBACK_COMMENT_THANKS

    async def shown_in(self, conversation_id: str, message_id: str, answer_id: str) -> None:
        """Remember which message shows an answer, for feedback that names the message."""
        await self._store.remember_message(self._platform, conversation_id, message_id, answer_id)

    async def answer_in(self, conversation_id: str, message_id: str) -> str | None:
        """The answer a message of ours shows."""
        return await self._store.answer_of_message(self._platform, conversation_id, message_id)

    async def answer(self, answer_id: str) -> StoredAnswer | None:
        """The answer a button belongs to, if it is still stored."""
        return await self._store.answer(answer_id) if answer_id else None
