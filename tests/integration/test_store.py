"""The store's schema: versioned migrations that are safe to run again and concurrently."""

from __future__ import annotations

import asyncio

import psycopg

from bot.store.migrations import SCHEMA_VERSION, migrate, schema_version


async def _migrate(url: str) -> tuple[int, str]:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        return await migrate(conn, 384, "all-MiniLM-L6-v2", "vector")


async def test_migrations_run_once_and_are_recorded(empty_db: str) -> None:
    first = await _migrate(empty_db)
    again = await _migrate(empty_db)

    assert first == (SCHEMA_VERSION, "vector")
    assert again == (0, "vector")
    async with await psycopg.AsyncConnection.connect(empty_db) as conn:
        assert await schema_version(conn) == SCHEMA_VERSION


async def test_replicas_starting_together_migrate_exactly_once(empty_db: str) -> None:
    results = await asyncio.gather(*(_migrate(empty_db) for _ in range(3)))

    assert sorted(applied for applied, _ in results) == [0, 0, SCHEMA_VERSION]


async def test_embeddings_are_kept_in_the_row_for_fast_exact_scans(empty_db: str) -> None:
    await _migrate(empty_db)

    async with await psycopg.AsyncConnection.connect(empty_db) as conn:
        cur = await conn.execute(
            "SELECT attstorage FROM pg_attribute "
            "WHERE attrelid = 'chunks'::regclass AND attname = 'embedding'"
        )
        assert await cur.fetchone() == ("m",)
