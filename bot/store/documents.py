"""SQL for documents, their chunks and the embedding cache."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from psycopg import sql
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from bot.store.vectors import to_db_vector, to_numpy

CHUNK_COLUMNS = (
    "document_id",
    "ordinal",
    "heading_path",
    "heading_text",
    "text",
    "page",
    "last_page",
    "audience",
    "embedding",
)


@dataclass(frozen=True)
class DocumentRow:
    source: str
    path: str
    title: str
    url: str | None
    parent_path: str | None
    breadcrumbs: Sequence[str]
    content_hash: str
    audience: Sequence[str]
    updated_at: datetime | None


@dataclass(frozen=True)
class ChunkRow:
    ordinal: int
    heading_path: Sequence[str]
    text: str
    page: int | None
    embedding: np.ndarray
    last_page: int | None = None


class DocumentStore:
    def __init__(self, pool: AsyncConnectionPool, vector_type: str) -> None:
        self._pool = pool
        self._vector_type = vector_type

    async def titles(self, groups: frozenset[str], limit: int) -> list[str]:
        """Titles of documents readers with `groups` may see, the most recently updated first
        (suggested prompts are made from them)."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT title FROM documents WHERE audience && %s AND title <> '' "
                "GROUP BY title ORDER BY max(coalesce(updated_at, indexed_at)) DESC, title "
                "LIMIT %s",
                (sorted(groups), limit),
            )
            return [title for (title,) in await cur.fetchall()]

    async def hashes(self, source: str) -> dict[str, str]:
        """path -> content hash of every document stored for `source`."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT path, content_hash FROM documents WHERE source = %s", (source,)
            )
            return {path: digest for path, digest in await cur.fetchall()}

    async def replace(self, document: DocumentRow, chunks: Sequence[ChunkRow]) -> None:
        """Insert or replace one document and all its chunks in a single transaction."""
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                """
                INSERT INTO documents (source, path, title, url, parent_path, breadcrumbs,
                                       content_hash, audience, updated_at, indexed_at)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, now())
                ON CONFLICT (source, path) DO UPDATE SET
                    title = excluded.title, url = excluded.url,
                    parent_path = excluded.parent_path, breadcrumbs = excluded.breadcrumbs,
                    content_hash = excluded.content_hash, audience = excluded.audience,
                    updated_at = excluded.updated_at, indexed_at = now()
                RETURNING id""",
                (
                    document.source,
                    document.path,
                    document.title,
                    document.url,
                    document.parent_path,
                    list(document.breadcrumbs),
                    document.content_hash,
                    list(document.audience),
                    document.updated_at,
                ),
            )
            document_id = int((await cur.fetchone() or (0,))[0])
            await conn.execute("DELETE FROM chunks WHERE document_id = %s", (document_id,))
            copy_sql = f"COPY chunks ({', '.join(CHUNK_COLUMNS)}) FROM STDIN WITH (FORMAT BINARY)"
            async with conn.cursor().copy(copy_sql) as copy:
                copy.set_types(
                    [
                        *("int8", "int4", "text[]", "text", "text", "int4", "int4", "text[]"),
                        self._vector_type,
                    ]
                )
                for chunk in chunks:
                    await copy.write_row(
                        (
                            document_id,
                            chunk.ordinal,
                            list(chunk.heading_path),
                            " ".join(chunk.heading_path),
                            chunk.text,
                            chunk.page,
                            chunk.last_page,
                            list(document.audience),
                            to_db_vector(chunk.embedding, self._vector_type),
                        )
                    )

    async def set_audience(self, source: str, audience: Sequence[str]) -> int:
        """Apply a changed audience to every stored document of `source` without re-embedding."""
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "UPDATE documents SET audience = %s WHERE source = %s AND audience <> %s",
                (list(audience), source, list(audience)),
            )
            await conn.execute(
                "UPDATE chunks c SET audience = d.audience FROM documents d "
                "WHERE c.document_id = d.id AND d.source = %s AND c.audience <> d.audience",
                (source,),
            )
            return cur.rowcount

    async def audiences(self, source: str) -> dict[str, tuple[str, ...]]:
        """path -> audience of every stored document of `source`."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT path, audience FROM documents WHERE source = %s", (source,)
            )
            return {path: tuple(audience) for path, audience in await cur.fetchall()}

    async def set_audiences(self, source: str, audiences: Mapping[str, Sequence[str]]) -> int:
        """Give each listed document its own audience, chunks included, without re-embedding;
        returns how many documents changed."""
        if not audiences:
            return 0
        wanted = Jsonb({path: sorted(audience) for path, audience in audiences.items()})
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "UPDATE documents d SET audience = n.audience "
                "FROM (SELECT key AS path, ARRAY(SELECT jsonb_array_elements_text(value)) "
                "      AS audience FROM jsonb_each(%s)) n "
                "WHERE d.source = %s AND d.path = n.path AND d.audience <> n.audience",
                (wanted, source),
            )
            await conn.execute(
                "UPDATE chunks c SET audience = d.audience FROM documents d "
                "WHERE c.document_id = d.id AND d.source = %s AND c.audience <> d.audience",
                (source,),
            )
            return cur.rowcount

    async def delete(self, source: str, paths: Sequence[str]) -> int:
        if not paths:
            return 0
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "DELETE FROM documents WHERE source = %s AND path = ANY(%s)", (source, list(paths))
            )
            return cur.rowcount

    async def refresh_lexeme_stats(self) -> None:
        """Recount how many chunks hold each word and their mean length (BM25's statistics)."""
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute("DELETE FROM lexeme_stats")
            await conn.execute(
                "INSERT INTO lexeme_stats (word, ndoc) "
                "SELECT word, ndoc FROM ts_stat('SELECT tsv FROM chunks')"
            )
            await conn.execute(
                "INSERT INTO deskmate_meta (key, value) "
                "SELECT key, value FROM (SELECT count(*)::text AS chunks, "
                "coalesce(avg(length(tsv)), 1)::text AS length FROM chunks) s, "
                "LATERAL (VALUES ('stats_chunks', s.chunks), ('stats_length', s.length)) "
                "AS v(key, value) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            )

    async def cached_embeddings(
        self, model: str, hashes: Sequence[bytes]
    ) -> dict[bytes, np.ndarray]:
        if not hashes:
            return {}
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT text_hash, embedding FROM embedding_cache "
                "WHERE model = %s AND text_hash = ANY(%s)",
                (model, list(hashes)),
            )
            return {bytes(h): to_numpy(e) for h, e in await cur.fetchall()}

    async def cache_embeddings(self, model: str, items: Sequence[tuple[bytes, np.ndarray]]) -> None:
        if not items:
            return
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS embedding_cache_in "
                "(LIKE embedding_cache) ON COMMIT DELETE ROWS"
            )
            copy_sql = (
                "COPY embedding_cache_in (model, text_hash, embedding) FROM STDIN (FORMAT BINARY)"
            )
            async with conn.cursor().copy(copy_sql) as copy:
                copy.set_types(["text", "bytea", self._vector_type])
                for digest, vector in items:
                    await copy.write_row((model, digest, to_db_vector(vector, self._vector_type)))
            await conn.execute(
                "INSERT INTO embedding_cache SELECT * FROM embedding_cache_in "
                "ON CONFLICT DO NOTHING"
            )

    async def chunk_count(self) -> int:
        async with self._pool.connection() as conn:
            cur = await conn.execute("SELECT count(*) FROM chunks")
            return int((await cur.fetchone() or (0,))[0])

    async def chunks_after(self, after_id: int, limit: int) -> list[tuple[int, list[str], str]]:
        """(id, heading path, text) of up to `limit` chunks with ids above `after_id`, in id
        order: the pages of a re-embedding pass."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT id, heading_path, text FROM chunks WHERE id > %s ORDER BY id LIMIT %s",
                (after_id, limit),
            )
            return [(int(i), list(h), t) for i, h, t in await cur.fetchall()]

    async def set_embeddings(self, items: Sequence[tuple[int, np.ndarray]]) -> None:
        """Replace the embeddings of the chunks with these ids (chunks deleted meanwhile are
        skipped)."""
        if not items:
            return
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute(
                sql.SQL(
                    "CREATE TEMP TABLE IF NOT EXISTS chunk_embeddings_in "
                    "(id bigint PRIMARY KEY, embedding {}) ON COMMIT DELETE ROWS"
                ).format(sql.Identifier(self._vector_type))
            )
            copy_sql = "COPY chunk_embeddings_in (id, embedding) FROM STDIN (FORMAT BINARY)"
            async with conn.cursor().copy(copy_sql) as copy:
                copy.set_types(["int8", self._vector_type])
                for chunk_id, vector in items:
                    await copy.write_row((chunk_id, to_db_vector(vector, self._vector_type)))
            await conn.execute(
                "UPDATE chunks c SET embedding = i.embedding FROM chunk_embeddings_in i "
                "WHERE c.id = i.id"
            )

    async def record_embedding_model(self, model: str) -> None:
        """From now on the stored vectors count as made with `model`."""
        async with self._pool.connection() as conn:
            await conn.execute(
                "UPDATE deskmate_meta SET value = %s WHERE key = 'embedding_model'", (model,)
            )
