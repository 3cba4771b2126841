"""SQL for answers given, the feedback on them, and de-duplication of platform deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from bot.models import Citation


@dataclass(frozen=True)
class StoredAnswer:
    id: str
    asker: str | None  # None when questions are stored without askers
    question: str
    answer: str
    sources: list[dict[str, Any]]
    answered: bool
    platform: str = "cli"
    answer_ms: float | None = None


def source_record(citation: Citation) -> dict[str, Any]:
    """A cited source as stored with its answer: enough to show it again as it was shown."""
    return {
        "number": citation.number,
        "title": citation.title,
        "url": citation.url,
        "source": citation.source,
        "path": citation.path,
        "pages": list(citation.pages),
        "updated_at": citation.updated_at.isoformat() if citation.updated_at else None,
    }


@dataclass(frozen=True)
class Feedback:
    answer_id: str
    platform: str
    user_id: str
    rating: int
    comment: str | None
    question: str
    answer: str
    sources: list[dict[str, Any]]


class FeedbackStore:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def save_answer(self, answer: StoredAnswer) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "INSERT INTO answers (id, asker, question, answer, sources, answered, "
                "platform, answer_ms) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (id) DO NOTHING",
                (
                    answer.id,
                    answer.asker,
                    answer.question,
                    answer.answer,
                    Jsonb(answer.sources),
                    answer.answered,
                    answer.platform,
                    answer.answer_ms,
                ),
            )

    async def answer(self, answer_id: str) -> StoredAnswer | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT id, asker, question, answer, sources, answered, platform, answer_ms "
                "FROM answers WHERE id = %s",
                (answer_id,),
            )
            row = await cur.fetchone()
        return StoredAnswer(*row) if row else None

    async def record(
        self, answer_id: str, platform: str, user_id: str, rating: int, comment: str | None = None
    ) -> None:
        """Store (or change) one user's rating of one answer, with the answer's context."""
        async with self._pool.connection() as conn:
            await conn.execute(
                """
                INSERT INTO feedback (answer_id, platform, user_id, rating, comment,
                                      question, answer, sources)
                SELECT %(answer_id)s, %(platform)s, %(user_id)s, %(rating)s, %(comment)s,
                       coalesce(a.question, ''), coalesce(a.answer, ''),
                       coalesce(a.sources, '[]'::jsonb)
                FROM (SELECT 1) one LEFT JOIN answers a ON a.id = %(answer_id)s
                ON CONFLICT (answer_id, user_id) DO UPDATE SET
                    rating = excluded.rating,
                    comment = coalesce(excluded.comment, feedback.comment),
                    created_at = now()""",
                {
                    "answer_id": answer_id,
                    "platform": platform,
                    "user_id": user_id,
                    "rating": rating,
                    "comment": comment,
                },
            )

    async def liked(self, limit: int = 1000) -> list[Feedback]:
        """Answers rated 👍 (and never 👎 by the same user), newest first: tone training data."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT answer_id, platform, user_id, rating, comment, question, answer, sources "
                "FROM feedback WHERE rating = 1 AND answer <> '' ORDER BY created_at DESC LIMIT %s",
                (limit,),
            )
            return [Feedback(*row) for row in await cur.fetchall()]

    async def counts(self) -> dict[int, int]:
        async with self._pool.connection() as conn:
            cur = await conn.execute("SELECT rating, count(*) FROM feedback GROUP BY rating")
            return {int(r): int(n) for r, n in await cur.fetchall()}

    async def expire_answers(self, older_than_days: int) -> int:
        """The question log's retention: answers older than `older_than_days` are deleted,
        and the question and answer texts copied into their feedback are blanked (the
        rating and comment stay counted)."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "DELETE FROM answers WHERE created_at < now() - make_interval(days => %s)",
                (older_than_days,),
            )
            await conn.execute(
                "UPDATE feedback SET question = '', answer = '' "
                "WHERE created_at < now() - make_interval(days => %s) AND question <> ''",
                (older_than_days,),
            )
            await conn.execute(
                "DELETE FROM answer_messages WHERE created_at < now() - make_interval(days => %s)",
                (older_than_days,),
            )
            return cur.rowcount

    async def remember_message(
        self, platform: str, conversation_id: str, message_id: str, answer_id: str
    ) -> None:
        """That this platform message shows this answer (its native feedback names the message)."""
        async with self._pool.connection() as conn:
            await conn.execute(
                "INSERT INTO answer_messages (platform, conversation_id, message_id, answer_id) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (platform, conversation_id, message_id, answer_id),
            )

    async def answer_of_message(
        self, platform: str, conversation_id: str, message_id: str
    ) -> str | None:
        """The answer a platform message shows, if Deskmate sent it."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT answer_id FROM answer_messages "
                "WHERE platform = %s AND conversation_id = %s AND message_id = %s",
                (platform, conversation_id, message_id),
            )
            row = await cur.fetchone()
        return str(row[0]) if row else None

    async def first_delivery(self, key: str) -> bool:
        """True the first time `key` is seen by any replica; False for every retry after."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "INSERT INTO processed_events (key) VALUES (%s) ON CONFLICT DO NOTHING", (key,)
            )
            return cur.rowcount == 1

    async def forget_deliveries(self, older_than_hours: int = 24) -> int:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "DELETE FROM processed_events "
                "WHERE created_at < now() - make_interval(hours => %s)",
                (older_than_hours,),
            )
            return cur.rowcount
