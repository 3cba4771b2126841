"""SQL for live sources' sync state: last success, the resume checkpoint, figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool


@dataclass(frozen=True)
class SyncState:
    source: str
    last_success_at: datetime | None = None
    checkpoint: dict[str, Any] | None = None  # set while a sync is unfinished
    retry: tuple[str, ...] = ()  # page ids that failed last time
    figures: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None


class SyncStore:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def state(self, source: str) -> SyncState:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT source, last_success_at, checkpoint, retry, figures, updated_at "
                "FROM source_sync WHERE source = %s",
                (source,),
            )
            row = await cur.fetchone()
        return _state(row) if row else SyncState(source)

    async def states(self) -> list[SyncState]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT source, last_success_at, checkpoint, retry, figures, updated_at "
                "FROM source_sync ORDER BY source"
            )
            return [_state(row) for row in await cur.fetchall()]

    async def save_checkpoint(self, source: str, checkpoint: dict[str, Any]) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "INSERT INTO source_sync (source, checkpoint) VALUES (%s, %s) "
                "ON CONFLICT (source) DO UPDATE SET checkpoint = excluded.checkpoint, "
                "updated_at = now()",
                (source, Jsonb(checkpoint)),
            )

    async def finish(
        self,
        source: str,
        succeeded_at: datetime,
        retry: Sequence[str],
        figures: dict[str, Any],
    ) -> None:
        """A sync that reached its end: clear the checkpoint and record when it started."""
        async with self._pool.connection() as conn:
            await conn.execute(
                "INSERT INTO source_sync (source, last_success_at, checkpoint, retry, figures) "
                "VALUES (%s, %s, NULL, %s, %s) ON CONFLICT (source) DO UPDATE SET "
                "last_success_at = excluded.last_success_at, checkpoint = NULL, "
                "retry = excluded.retry, figures = excluded.figures, updated_at = now()",
                (source, succeeded_at, list(retry), Jsonb(figures)),
            )


def _state(row: tuple[Any, ...]) -> SyncState:
    source, last_success_at, checkpoint, retry, figures, updated_at = row
    return SyncState(source, last_success_at, checkpoint, tuple(retry), figures or {}, updated_at)
