"""The knowledge base store: the only package that speaks SQL.

`open_store` connects (starting the embedded PostgreSQL when no `DATABASE_URL` is set),
applies migrations, checks the embedding dimension and returns a `Store` whose parts each own
the queries of one concern.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from pgvector.psycopg import register_vector_async
from psycopg import sql
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from bot.database import database_url, redact
from bot.errors import StoreUnavailable
from bot.settings import Settings
from bot.store.admin import AdminStore
from bot.store.conversations import ConversationStore
from bot.store.documents import DocumentStore
from bot.store.feedback import FeedbackStore
from bot.store.insights import InsightStore
from bot.store.migrations import SCHEMA_VERSION, migrate, schema_version
from bot.store.runs import RunStore
from bot.store.search import SearchStore
from bot.store.sync import SyncStore

log = logging.getLogger(__name__)

__all__ = ["SourceStats", "Store", "open_store", "unavailable_as_error"]


@dataclass(frozen=True)
class SourceStats:
    source: str
    documents: int
    chunks: int
    last_indexed: datetime | None


class Store:
    def __init__(
        self,
        pool: AsyncConnectionPool,
        settings: Settings,
        vector_type: str | None = None,
        embedded_with: str = "",
    ) -> None:
        self.pool = pool
        self.vector_type = vector_type = vector_type or settings.store.vector_type
        self.embedded_with = embedded_with  # the model the stored vectors were made with
        self.documents = DocumentStore(pool, vector_type)
        self.search = SearchStore(pool, vector_type)
        self.runs = RunStore(pool)
        self.conversations = ConversationStore(pool, settings.retrieval.memory_ttl_hours)
        self.feedback = FeedbackStore(pool)
        self.sync = SyncStore(pool)
        self.insights = InsightStore(pool)
        self.admin = AdminStore(pool)

    async def stats(self, groups: frozenset[str] | None = None) -> list[SourceStats]:
        """Documents and chunks per source; with `groups`, only of documents they may see
        (what is shown in chat), else of all (operators)."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT d.source, count(DISTINCT d.id), count(c.id), max(d.indexed_at) "
                "FROM documents d LEFT JOIN chunks c ON c.document_id = d.id "
                "WHERE %(all)s OR d.audience && %(groups)s "
                "GROUP BY d.source ORDER BY d.source",
                {"all": groups is None, "groups": sorted(groups or ())},
            )
            return [SourceStats(*row) for row in await cur.fetchall()]

    async def ready(self) -> bool:
        """Database reachable and schema current."""
        try:
            async with self.pool.connection(timeout=2) as conn:
                return await schema_version(conn) == SCHEMA_VERSION
        except Exception:
            return False


@asynccontextmanager
async def unavailable_as_error() -> AsyncIterator[None]:
    """Turn a lost database connection into `StoreUnavailable`, which adapters explain."""
    try:
        yield
    except (psycopg.OperationalError, PoolTimeout) as exc:
        raise StoreUnavailable("the knowledge base database is unreachable") from exc


def _configure(
    ef_search: int,
) -> Callable[[psycopg.AsyncConnection], Coroutine[Any, Any, None]]:
    """Per connection: pgvector types, and HNSW scans that keep going under filters."""

    async def configure(conn: psycopg.AsyncConnection) -> None:
        await register_vector_async(conn)
        await conn.execute("SET hnsw.iterative_scan = relaxed_order")
        # psycopg prepares statements after a few runs; a generic plan for a small table is an
        # exact scan (12x slower at 10k chunks, benchmarks/scale.py), so plan each query.
        await conn.execute("SET plan_cache_mode = force_custom_plan")
        await conn.execute(sql.SQL("SET hnsw.ef_search = {}").format(sql.Literal(ef_search)))
        await conn.commit()

    return configure


@asynccontextmanager
async def open_store(
    settings: Settings, *, dim: int, model: str, url: str | None = None
) -> AsyncIterator[Store]:
    """Connect, migrate and yield a ready `Store`; the pool closes on exit."""
    if url is None:  # may start the embedded server: keep the event loop free meanwhile
        url = await asyncio.to_thread(database_url, settings.store)
    try:
        conn = await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise StoreUnavailable(
            f"cannot connect to the database at {redact(url)}; check DATABASE_URL "
            "or leave it empty to use the embedded database"
        ) from exc
    async with conn:
        applied, vector_type, embedded_with = await migrate(
            conn, dim, model, settings.store.vector_type
        )
        if applied:
            log.info("applied %d schema migration(s)", applied)
    pool = AsyncConnectionPool(
        url,
        min_size=1,
        max_size=settings.store.db_pool_size,
        configure=_configure(settings.store.hnsw_ef_search),
        kwargs={"autocommit": True},
        open=False,
        reconnect_timeout=30,
    )
    await pool.open(wait=True, timeout=15)
    try:
        yield Store(pool, settings, vector_type, embedded_with)
    finally:
        await pool.close()
