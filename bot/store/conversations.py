"""SQL for conversation memory: the last turns of a thread, bounded and expiring."""

from __future__ import annotations

from psycopg_pool import AsyncConnectionPool


class ConversationStore:
    def __init__(self, pool: AsyncConnectionPool, ttl_hours: int) -> None:
        self._pool = pool
        self._ttl_hours = ttl_hours

    async def recent(self, conversation_id: str, turns: int) -> list[tuple[str, str]]:
        """The last `turns` (question, answer) pairs, oldest first, younger than the TTL."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT question, answer FROM conversation_turns "
                "WHERE conversation_id = %s AND created_at > now() - make_interval(hours => %s) "
                "ORDER BY id DESC LIMIT %s",
                (conversation_id, self._ttl_hours, turns),
            )
            rows = await cur.fetchall()
        return [(q, a) for q, a in reversed(rows)]

    async def append(self, conversation_id: str, question: str, answer: str) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "INSERT INTO conversation_turns (conversation_id, question, answer) "
                "VALUES (%s, %s, %s)",
                (conversation_id, question, answer),
            )

    async def expire(self) -> int:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "DELETE FROM conversation_turns "
                "WHERE created_at < now() - make_interval(hours => %s)",
                (self._ttl_hours,),
            )
            return cur.rowcount
