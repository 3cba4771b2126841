"""Hybrid retrieval: one SQL statement returns the candidates of both legs, HNSW nearest
neighbours and BM25 full-text hits, with both scores; `bot.ranking` fuses them.

Access control lives here: every candidate is filtered by `chunks.audience && groups`, so a
chunk the listeners may not see is never ranked, returned or counted. pgvector's iterative
index scans (`hnsw.iterative_scan`, set per connection) keep the filtered HNSW search returning
enough rows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Literal

import numpy as np
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from bot import spelling
from bot.models import Chunk
from bot.ranking import DEFAULT_FUSION, Fusion, by_keyword, cap_per_document, fuse
from bot.store.vectors import to_db_vector
from bot.vocabulary import SYNONYMS, question_words_text

COMMON_SHARE = 0.2  # a word in more than this share of chunks is too common to rank by
MIN_CHUNKS_FOR_STATS = 1000  # below this, every word is kept (small knowledge bases are fast)

BM25_K1 = 1.2  # term-frequency saturation
BM25_B = 0.75  # length normalisation
HEADING_WEIGHT = 2.0  # a word in the title or a heading counts this many times (BM25F)

_SYNONYMS_CTE = """synonyms AS (
    -- The words handbooks use for a question's word (bot.vocabulary.SYNONYMS), stemmed alike.
    SELECT (tsvector_to_array(to_tsvector('english', p.asked)))[1] AS word,
           (tsvector_to_array(to_tsvector('english', p.written)))[1] AS lexeme
    FROM unnest(%(synonyms_asked)s::text[], %(synonyms_written)s::text[]) AS p(asked, written)
)"""

_TERMS_CTE = (
    """stats AS (
    -- Chunks and mean chunk length (distinct words) as of the last statistics refresh; a
    -- knowledge base never refreshed falls back to counting now.
    SELECT coalesce((SELECT max(value::float8) FROM deskmate_meta WHERE key = 'stats_chunks'),
                    (SELECT count(*)::float8 FROM chunks)) AS total,
           coalesce((SELECT max(value::float8) FROM deskmate_meta WHERE key = 'stats_length'),
                    (SELECT avg(length(tsv))::float8 FROM chunks), 1) AS avg_length
), words AS (
    -- The question's words; `topic` unless a chat word (bot.vocabulary).
    SELECT q.word,
           q.word <> ALL (tsvector_to_array(to_tsvector('english', %(question_words)s))) AS topic
    FROM unnest(tsvector_to_array(to_tsvector('english', %(q)s))) AS q(word)
), meant AS (
    SELECT * FROM unnest(%(misspelt)s::text[], %(meant)s::text[]) AS f(word, lexeme)
), asked AS (
    -- The question's topic words, or all its words when it has none.
    SELECT word FROM words WHERE topic OR NOT EXISTS (SELECT 1 FROM words WHERE topic)
), """
    + _SYNONYMS_CTE
    + """, lexemes AS (
    SELECT word, word AS lexeme FROM asked
    UNION
    SELECT a.word, s.lexeme FROM asked a JOIN synonyms s ON s.word = a.word
    WHERE s.lexeme IS NOT NULL
    UNION
    -- A misspelt word read as the English word one edit away (bot.spelling), and the
    -- handbooks' words for that word.
    SELECT a.word, f.lexeme FROM asked a JOIN meant f ON f.word = a.word
    UNION
    SELECT a.word, s.lexeme FROM asked a JOIN meant f ON f.word = a.word
    JOIN synonyms s ON s.word = f.lexeme
    WHERE s.lexeme IS NOT NULL
), terms AS (
    -- Each word searched for (a question's word or a handbook's word for it) with its BM25
    -- IDF, from lexeme_stats (how many chunks hold each).
    SELECT q.word, q.lexeme,
           ln(1 + (st.total - coalesce(s.ndoc, 0) + 0.5) / (coalesce(s.ndoc, 0) + 0.5)) AS idf,
           coalesce(st.total >= %(min_chunks)s AND s.ndoc > %(common_share)s * st.total, false)
               AS common
    FROM lexemes q
    LEFT JOIN lexeme_stats s ON s.word = q.lexeme
    CROSS JOIN stats st
), weights AS (
    -- The question's own words and their weight: what coverage counts.
    SELECT word, idf FROM terms WHERE lexeme = word
), query AS (
    -- Chunks holding any of the words are scored. Words found in more than COMMON_SHARE of a
    -- large knowledge base do not select chunks (they would select almost all of them) but
    -- still score; if every word is common, all select.
    SELECT coalesce(
               (string_agg(DISTINCT quote_literal(lexeme), ' | ') FILTER (WHERE NOT common))
                   ::tsquery,
               (string_agg(DISTINCT quote_literal(lexeme), ' | '))::tsquery) AS tsq
    FROM terms
), matched AS MATERIALIZED (
    SELECT c.id, c.tsv FROM chunks c, query
    WHERE c.tsv @@ query.tsq AND c.audience && %(groups)s
), hits AS MATERIALIZED (
    -- BM25F per question word: term frequency with heading and title words (weight A) counted
    -- HEADING_WEIGHT times, saturated by k1 and normalised by the chunk's length.
    SELECT m.id, t.word,
           sum(t.idf * f.tf * (%(k1)s + 1)
               / (f.tf + %(k1)s * (1 - %(b)s + %(b)s * length(m.tsv) / st.avg_length)))
               AS bm25
    FROM matched m
    CROSS JOIN LATERAL unnest(m.tsv) AS u(lexeme, positions, weights)
    JOIN terms t ON t.lexeme = u.lexeme
    CROSS JOIN LATERAL (
        SELECT sum(CASE WHEN w = 'A' THEN %(heading_weight)s ELSE 1 END)::float8 AS tf
        FROM unnest(u.weights) AS w
    ) f
    CROSS JOIN stats st
    GROUP BY m.id, t.word
), scored AS MATERIALIZED (
    -- A chunk's BM25, and the weight of the question's words it holds (itself or in the
    -- handbook's words).
    SELECT h.id, sum(h.bm25) AS bm25, sum(w.idf) AS matched_idf
    FROM hits h JOIN weights w ON w.word = h.word
    GROUP BY h.id
), kw AS (
    SELECT id, bm25, row_number() OVER (ORDER BY bm25 DESC, id) AS rank
    FROM scored ORDER BY bm25 DESC, id LIMIT %(candidates)s
)"""
)

SPELLING_SQL = (
    """
-- For each word that may be misspelt (bot.spelling), when the knowledge base lacks its stem:
-- the stem of each English word one edit away, with the chunks holding it or, if more, one of
-- the handbooks' words for it ("vacaton" -> vacation -> PTO).
WITH """
    + _SYNONYMS_CTE
    + """
SELECT t.stem AS typed, m.stem AS meant,
       greatest(coalesce(max(own.ndoc), 0), coalesce(max(theirs.ndoc), 0)) AS chunks
FROM unnest(%(typed)s::text[], %(candidates)s::text[]) AS f(typed, candidate)
CROSS JOIN LATERAL (SELECT (tsvector_to_array(to_tsvector('english', f.typed)))[1] AS stem) t
CROSS JOIN LATERAL (SELECT (tsvector_to_array(to_tsvector('english', f.candidate)))[1] AS stem) m
LEFT JOIN lexeme_stats own ON own.word = m.stem
LEFT JOIN synonyms s ON s.word = m.stem
LEFT JOIN lexeme_stats theirs ON theirs.word = s.lexeme
WHERE t.stem IS NOT NULL AND m.stem IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM lexeme_stats x WHERE x.word = t.stem)
GROUP BY t.stem, m.stem
"""
)

_COLUMNS = """c.id AS chunk_id, c.document_id, d.source, d.path, d.title, d.url, c.heading_path,
       c.text, c.page, c.last_page, d.updated_at, d.indexed_at"""

# The statements below are built from constants only; every value is a bind parameter.
KEYWORD_QUERY_SQL = "WITH " + _TERMS_CTE.split("), matched AS")[0] + ") SELECT tsq::text FROM query"

CANDIDATES_SQL = (
    """
WITH vec AS MATERIALIZED (
    SELECT c.id, row_number() OVER (ORDER BY c.embedding <=> %(emb)s) AS rank
    FROM chunks c
    WHERE c.audience && %(groups)s
    ORDER BY c.embedding <=> %(emb)s
    LIMIT %(candidates)s
), """
    + _TERMS_CTE
    + """, candidate AS (
    SELECT id FROM vec UNION SELECT id FROM kw
)
SELECT """
    + _COLUMNS
    + """,
       (1 - (c.embedding <=> %(emb)s))::float8 AS similarity,
       coalesce(s.bm25, 0)::float8 AS bm25, v.rank AS vector_rank, k.rank AS keyword_rank,
       coalesce(s.matched_idf / nullif(q.total_idf, 0), 0)::float8 AS coverage
FROM candidate x
CROSS JOIN (SELECT sum(idf) AS total_idf FROM weights) q
JOIN chunks c ON c.id = x.id
JOIN documents d ON d.id = c.document_id
LEFT JOIN scored s ON s.id = x.id
LEFT JOIN vec v ON v.id = x.id
LEFT JOIN kw k ON k.id = x.id
"""
)


VECTOR_ONLY_SQL = (
    """
SELECT """
    + _COLUMNS
    + """,
       (1 - (c.embedding <=> %(emb)s))::float8 AS similarity, 0::float8 AS bm25,
       row_number() OVER (ORDER BY c.embedding <=> %(emb)s) AS vector_rank,
       NULL::int8 AS keyword_rank, 0::float8 AS coverage
FROM chunks c JOIN documents d ON d.id = c.document_id
WHERE c.audience && %(groups)s
ORDER BY c.embedding <=> %(emb)s
LIMIT %(limit)s
"""
)

_VOCABULARY = {
    "question_words": question_words_text(),
    "synonyms_asked": [asked for asked, _ in SYNONYMS],
    "synonyms_written": [written for _, written in SYNONYMS],
}

SearchMode = Literal["hybrid", "vector", "keyword"]


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
        per_document: int = 5,
        candidates: int = 40,
        mode: SearchMode = "hybrid",
        fusion: Fusion = DEFAULT_FUSION,
    ) -> list[Chunk]:
        """The best `limit` chunks for `query` that the `groups` may see, at most
        `per_document` from one document."""
        found = await self.candidates(
            query, embedding, groups, candidates=max(candidates, limit), mode=mode
        )
        if mode == "vector":
            ranked = found
        elif mode == "keyword":
            ranked = by_keyword(found)
        else:
            ranked = fuse(found, fusion, query)
        return cap_per_document(ranked, per_document, limit)

    async def candidates(
        self,
        query: str,
        embedding: np.ndarray,
        groups: Collection[str],
        *,
        candidates: int = 40,
        mode: SearchMode = "hybrid",
    ) -> list[Chunk]:
        """Every candidate of either leg with both scores (vector mode: the vector leg only,
        nearest first)."""
        statement = VECTOR_ONLY_SQL if mode == "vector" else CANDIDATES_SQL
        async with self._pool.connection() as conn:
            meant = await self._spelling(conn, query) if mode != "vector" else {}
            params = candidate_params(
                query, embedding, groups, candidates, self._vector_type, meant
            )
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(statement, params)
            rows = await cur.fetchall()
        return [_chunk(row) for row in rows]

    async def keyword_query(self, query: str) -> str:
        """The full-text query the keyword side runs for `query` (for tests and debugging)."""
        async with self._pool.connection() as conn:
            params = {
                "q": query,
                **_VOCABULARY,
                **_spelling_params(await self._spelling(conn, query)),
                "common_share": COMMON_SHARE,
                "min_chunks": MIN_CHUNKS_FOR_STATS,
            }
            cur = await conn.execute(KEYWORD_QUERY_SQL, params)
            row = await cur.fetchone()
        return str(row[0]) if row else ""

    async def _spelling(self, conn: AsyncConnection[Any], query: str) -> dict[str, str]:
        """The question's misspelt words (stems) and the knowledge base's stems they are read
        as; one short lookup, and only for words that are not English (`bot.spelling`)."""
        pairs = [
            (word, c)
            for word in spelling.unfamiliar_words(query)
            for c in spelling.candidates(word)
        ]
        if not pairs:
            return {}
        typed, proposed = zip(*pairs, strict=True)
        cur = await conn.execute(
            SPELLING_SQL, {"typed": list(typed), "candidates": list(proposed), **_VOCABULARY}
        )
        held: dict[str, list[tuple[str, int]]] = {}
        for stem, meant, chunks in await cur.fetchall():
            held.setdefault(stem, []).append((meant, chunks))
        meant_for = {stem: spelling.best(stems) for stem, stems in held.items()}
        return {stem: meant for stem, meant in meant_for.items() if meant is not None}


def candidate_params(
    query: str,
    embedding: np.ndarray,
    groups: Collection[str],
    candidates: int,
    vector_type: str,
    meant: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The bind values of CANDIDATES_SQL and VECTOR_ONLY_SQL; `meant` maps a misspelt word's
    stem to the knowledge base's stem it is read as (`SearchStore._spelling`)."""
    return {
        "emb": to_db_vector(embedding, vector_type),
        "q": query,
        **_VOCABULARY,
        **_spelling_params(meant or {}),
        "groups": sorted(groups),
        "candidates": candidates,
        "limit": candidates,
        "common_share": COMMON_SHARE,
        "min_chunks": MIN_CHUNKS_FOR_STATS,
        "k1": BM25_K1,
        "b": BM25_B,
        "heading_weight": HEADING_WEIGHT,
    }


def _spelling_params(meant: Mapping[str, str]) -> dict[str, list[str]]:
    return {"misspelt": list(meant), "meant": list(meant.values())}


def _chunk(row: dict[str, Any]) -> Chunk:
    return Chunk(
        chunk_id=row["chunk_id"],
        document_id=row["document_id"],
        source=row["source"],
        path=row["path"],
        title=row["title"],
        url=row["url"],
        heading_path=tuple(row["heading_path"]),
        text=row["text"],
        page=row["page"],
        last_page=row["last_page"],
        updated_at=row["updated_at"],
        indexed_at=row["indexed_at"],
        score=float(row["similarity"]),
        similarity=float(row["similarity"]),
        keyword_rank=row["keyword_rank"],
        vector_rank=row["vector_rank"],
        bm25=float(row["bm25"]),
        coverage=float(row["coverage"]),
    )
