"""Hybrid retrieval in one SQL statement: HNSW nearest neighbours + full text, fused by RRF.

Access control lives here: every candidate is filtered by `chunks.audience && groups`, so a
chunk the listeners may not see is never ranked, returned or counted. pgvector's iterative
index scans (`hnsw.iterative_scan`, set per connection) keep the filtered HNSW search returning
enough rows.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

import numpy as np
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from bot.models import Chunk
from bot.store.vectors import to_db_vector

RRF_K = 60
COMMON_SHARE = 0.2  # a word in more than this share of chunks is too common to rank by
MIN_CHUNKS_FOR_STATS = 1000  # below this, every word is kept (small knowledge bases are fast)

_QUERY_CTE = """query AS (
    -- The question's words, OR-ed. Words found in more than COMMON_SHARE of a large knowledge
    -- base are left out (an IDF cut-off from lexeme_stats): they rank little and would make
    -- ts_rank_cd score almost every chunk. If every word is common, all are kept.
    SELECT CASE WHEN t.dropped > 0 AND t.kept IS NOT NULL THEN t.kept
                ELSE replace(websearch_to_tsquery('english', %(q)s)::text, ' & ', ' | ')::tsquery
           END AS tsq
    FROM (
        SELECT (string_agg(quote_literal(w.word), ' | ') FILTER (WHERE NOT w.common))::tsquery
                   AS kept,
               count(*) FILTER (WHERE w.common) AS dropped
        FROM (
            SELECT q.word, coalesce(m.total >= %(min_chunks)s
                                    AND s.ndoc > %(common_share)s * m.total, false) AS common
            FROM unnest(tsvector_to_array(to_tsvector('english', %(q)s))) AS q(word)
            LEFT JOIN lexeme_stats s ON s.word = q.word
            CROSS JOIN (SELECT coalesce(max(value::float8), 0) AS total FROM deskmate_meta
                        WHERE key = 'stats_chunks') m
        ) w
    ) t
)"""

# The statements below are built from constants only; every value is a bind parameter.
KEYWORD_QUERY_SQL = "WITH " + _QUERY_CTE + " SELECT tsq::text FROM query"

HYBRID_SQL = (
    """
WITH vec AS MATERIALIZED (
    SELECT c.id, c.embedding <=> %(emb)s AS distance
    FROM chunks c
    WHERE c.audience && %(groups)s
    ORDER BY c.embedding <=> %(emb)s
    LIMIT %(candidates)s
), vec_ranked AS (
    SELECT id, distance, row_number() OVER (ORDER BY distance) AS rank FROM vec
), """
    + _QUERY_CTE
    + """, kw AS (
    SELECT c.id, row_number() OVER (ORDER BY ts_rank_cd(c.tsv, query.tsq, 1) DESC, c.id) AS rank
    FROM chunks c, query
    WHERE c.tsv @@ query.tsq AND c.audience && %(groups)s
    ORDER BY ts_rank_cd(c.tsv, query.tsq, 1) DESC, c.id
    LIMIT %(candidates)s
), fused AS (
    SELECT coalesce(v.id, k.id) AS id,
           coalesce(1.0 / (%(rrf_k)s + v.rank), 0) + coalesce(1.0 / (%(rrf_k)s + k.rank), 0)
               AS score,
           v.distance, k.rank AS keyword_rank
    FROM vec_ranked v FULL OUTER JOIN kw k ON k.id = v.id
), ranked AS (
    SELECT f.*, c.document_id,
           row_number() OVER (PARTITION BY c.document_id ORDER BY f.score DESC) AS in_document
    FROM fused f JOIN chunks c ON c.id = f.id
)
SELECT c.id AS chunk_id, c.document_id, d.source, d.path, d.title, d.url, c.heading_path,
       c.text, c.page, d.updated_at, d.indexed_at, r.score::float8 AS score,
       (1 - coalesce(r.distance, c.embedding <=> %(emb)s))::float8 AS similarity,
       r.keyword_rank
FROM ranked r
JOIN chunks c ON c.id = r.id
JOIN documents d ON d.id = c.document_id
WHERE r.in_document <= %(per_document)s
ORDER BY r.score DESC, c.id
LIMIT %(limit)s
"""
)

VECTOR_ONLY_SQL = """
SELECT c.id AS chunk_id, c.document_id, d.source, d.path, d.title, d.url, c.heading_path,
       c.text, c.page, d.updated_at, d.indexed_at,
       (1 - (c.embedding <=> %(emb)s))::float8 AS score,
       (1 - (c.embedding <=> %(emb)s))::float8 AS similarity, NULL::int8 AS keyword_rank
FROM chunks c JOIN documents d ON d.id = c.document_id
WHERE c.audience && %(groups)s
ORDER BY c.embedding <=> %(emb)s
LIMIT %(limit)s
"""

KEYWORD_ONLY_SQL = (
    """
WITH """
    + _QUERY_CTE
    + """
SELECT c.id AS chunk_id, c.document_id, d.source, d.path, d.title, d.url, c.heading_path,
       c.text, c.page, d.updated_at, d.indexed_at,
       ts_rank_cd(c.tsv, query.tsq, 1)::float8 AS score,
       (1 - (c.embedding <=> %(emb)s))::float8 AS similarity, 1::int8 AS keyword_rank
FROM chunks c JOIN documents d ON d.id = c.document_id, query
WHERE c.tsv @@ query.tsq AND c.audience && %(groups)s
ORDER BY score DESC, c.id
LIMIT %(limit)s
"""
)

SearchMode = Literal["hybrid", "vector", "keyword"]
MODES: dict[SearchMode, str] = {
    "hybrid": HYBRID_SQL,
    "vector": VECTOR_ONLY_SQL,
    "keyword": KEYWORD_ONLY_SQL,
}


class SearchStore:
    def __init__(self, pool: AsyncConnectionPool, vector_type: str) -> None:
        self._pool = pool
        self._vector_type = vector_type

    async def search(
        self,
        query: str,
        embedding: np.ndarray,
        groups: Collection[str],
        *,
        limit: int = 6,
        per_document: int = 3,
        candidates: int = 40,
        mode: SearchMode = "hybrid",
    ) -> list[Chunk]:
        """The best `limit` chunks for `query` that the `groups` may see."""
        params = {
            "emb": to_db_vector(embedding, self._vector_type),
            "q": query,
            "groups": sorted(groups),
            "candidates": max(candidates, limit),
            "limit": limit,
            "per_document": per_document,
            "rrf_k": RRF_K,
            "common_share": COMMON_SHARE,
            "min_chunks": MIN_CHUNKS_FOR_STATS,
        }
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(MODES[mode], params)
            rows = await cur.fetchall()
        return [
            Chunk(
                chunk_id=row["chunk_id"],
                document_id=row["document_id"],
                source=row["source"],
                path=row["path"],
                title=row["title"],
                url=row["url"],
                heading_path=tuple(row["heading_path"]),
                text=row["text"],
                page=row["page"],
                updated_at=row["updated_at"],
                indexed_at=row["indexed_at"],
                score=float(row["score"]),
                similarity=float(row["similarity"]),
                keyword_rank=row["keyword_rank"],
            )
            for row in rows
        ]

    async def keyword_query(self, query: str) -> str:
        """The full-text query the keyword side runs for `query` (for tests and debugging)."""
        params = {"q": query, "common_share": COMMON_SHARE, "min_chunks": MIN_CHUNKS_FOR_STATS}
        async with self._pool.connection() as conn:
            cur = await conn.execute(KEYWORD_QUERY_SQL, params)
            row = await cur.fetchone()
        return str(row[0]) if row else ""
