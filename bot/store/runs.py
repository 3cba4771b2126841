"""SQL for index runs and the lock that lets only one re-index run at a time across replicas."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from bot.errors import ReindexRunning

REINDEX_LOCK_KEY = 0x6465_736B_0001


@dataclass(frozen=True)
class IndexRun:
    id: int
    trigger: str
    sources: tuple[str, ...]
    status: str
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, Any]
    errors: list[dict[str, str]]

    @property
    def duration_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class RunEnd:
    """How a run ended, kept in memory when the database was gone at the time."""

    status: str
    counts: dict[str, Any]
    errors: list[dict[str, str]]


class RunStore:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool
        self._unrecorded: dict[int, RunEnd] = {}

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """Hold the cluster-wide re-index lock, or raise `ReindexRunning` at once.

        The lock is a session advisory lock on a dedicated connection: if the process dies,
        PostgreSQL releases it with the connection.
        """
        async with self._pool.connection() as conn:
            cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (REINDEX_LOCK_KEY,))
            row = await cur.fetchone()
            if not row or not row[0]:
                raise ReindexRunning("a re-index is already running")
            try:
                yield
            finally:
                # when the connection is gone, the lock went with it
                with suppress(psycopg.OperationalError):
                    await conn.execute("SELECT pg_advisory_unlock(%s)", (REINDEX_LOCK_KEY,))

    async def locked(self) -> bool:
        """Whether some process holds the re-index lock right now."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND ((classid::bigint << 32) | objid::bigint) = %s)",
                (REINDEX_LOCK_KEY,),
            )
            row = await cur.fetchone()
            return bool(row and row[0])

    async def mark_abandoned(self) -> int:
        """Runs left 'running' by a process that died; call while holding the lock.

        A run of this process that a database outage cut short is recorded as it ended
        (failed) first: only runs nobody is left to explain are abandoned."""
        for run_id, end in list(self._unrecorded.items()):
            await self.finish(run_id, end.status, end.counts, end.errors)
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "UPDATE index_runs SET status = 'abandoned', finished_at = now() "
                "WHERE status = 'running'"
            )
            return cur.rowcount

    async def start(self, trigger: str, sources: Sequence[str]) -> int:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "INSERT INTO index_runs (trigger, sources, host, pid) "
                "VALUES (%s, %s, %s, %s) RETURNING id",
                (trigger, list(sources), socket.gethostname(), os.getpid()),
            )
            return int((await cur.fetchone() or (0,))[0])

    async def finish(
        self, run_id: int, status: str, counts: dict[str, Any], errors: list[dict[str, str]]
    ) -> None:
        """Record how the run ended; when the database is unreachable, remember it for the
        next run of this process to record."""
        try:
            async with self._pool.connection() as conn:
                await conn.execute(
                    "UPDATE index_runs SET status = %s, counts = %s, errors = %s, "
                    "finished_at = now() WHERE id = %s",
                    (status, Jsonb(counts), Jsonb(errors), run_id),
                )
        except (psycopg.OperationalError, PoolTimeout):
            self._unrecorded[run_id] = RunEnd(status, counts, errors)
            raise
        self._unrecorded.pop(run_id, None)

    async def recent(self, limit: int = 5) -> list[IndexRun]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT id, trigger, sources, status, started_at, finished_at, counts, errors "
                "FROM index_runs ORDER BY id DESC LIMIT %s",
                (limit,),
            )
            return [_run(r) for r in await cur.fetchall()]

    async def get(self, run_id: int) -> IndexRun | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT id, trigger, sources, status, started_at, finished_at, counts, errors "
                "FROM index_runs WHERE id = %s",
                (run_id,),
            )
            row = await cur.fetchone()
        return _run(row) if row else None


def _run(r: tuple[Any, ...]) -> IndexRun:
    return IndexRun(r[0], r[1], tuple(r[2]), r[3], r[4], r[5], r[6], r[7])
