"""SQL for insights: what was asked and how it went, read from the stored answers, their
feedback, the documents and the index runs. Every query covers one period `[since, until)`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from psycopg_pool import AsyncConnectionPool

GapKind = Literal["unanswered", "disliked"]


@dataclass(frozen=True)
class GapQuestion:
    """A question the knowledge base did not serve: unanswered, or answered and rated 👎."""

    answer_id: str
    question: str
    kind: GapKind
    created_at: datetime
    sources: list[dict[str, Any]]  # the closest documents found, as shown with the answer


@dataclass(frozen=True)
class RatingCount:
    """👍/👎 of one group: a day, a source or a document."""

    key: str
    title: str
    up: int
    down: int


@dataclass(frozen=True)
class Comment:
    question: str
    comment: str
    created_at: datetime


@dataclass(frozen=True)
class DocumentUse:
    source: str
    path: str
    title: str
    url: str | None
    citations: int
    updated_at: datetime | None


@dataclass(frozen=True)
class DailyUsage:
    day: date
    platform: str
    questions: int
    answered: int


@dataclass(frozen=True)
class LoggedAnswer:
    """One line of the question log (askers only where they were stored)."""

    answer_id: str
    asker: str | None
    platform: str
    question: str
    answer: str
    answered: bool
    sources: list[dict[str, Any]]
    answer_ms: float | None
    created_at: datetime
    up: int
    down: int


class InsightStore:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def _rows(self, query: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(query, params)
            return await cur.fetchall()

    async def gap_questions(
        self, since: datetime, until: datetime, limit: int = 5000
    ) -> list[GapQuestion]:
        """Unanswered and 👎-rated questions of the period, oldest first."""
        rows = await self._rows(
            """
            SELECT a.id, a.question,
                   CASE WHEN a.answered THEN 'disliked' ELSE 'unanswered' END,
                   a.created_at, a.sources
            FROM answers a
            WHERE a.created_at >= %(since)s AND a.created_at < %(until)s
              AND (NOT a.answered OR EXISTS (
                SELECT 1 FROM feedback f WHERE f.answer_id = a.id AND f.rating = -1))
            ORDER BY a.created_at, a.id LIMIT %(limit)s""",
            {"since": since, "until": until, "limit": limit},
        )
        return [GapQuestion(*row) for row in rows]

    async def ratings_per_day(self, since: datetime, until: datetime) -> list[RatingCount]:
        rows = await self._rows(
            """
            SELECT to_char(date_trunc('day', created_at), 'YYYY-MM-DD'), '',
                   count(*) FILTER (WHERE rating = 1), count(*) FILTER (WHERE rating = -1)
            FROM feedback WHERE created_at >= %(since)s AND created_at < %(until)s
            GROUP BY 1 ORDER BY 1""",
            {"since": since, "until": until},
        )
        return [RatingCount(*row) for row in rows]

    async def ratings_per_source(self, since: datetime, until: datetime) -> list[RatingCount]:
        """Ratings of answers citing each source (an answer citing two counts for both)."""
        rows = await self._rows(
            """
            SELECT s.source, s.source, count(*) FILTER (WHERE f.rating = 1),
                   count(*) FILTER (WHERE f.rating = -1)
            FROM feedback f,
                 LATERAL (SELECT DISTINCT e->>'source' AS source
                          FROM jsonb_array_elements(f.sources) e) s
            WHERE f.created_at >= %(since)s AND f.created_at < %(until)s
            GROUP BY s.source ORDER BY count(*) DESC, s.source""",
            {"since": since, "until": until},
        )
        return [RatingCount(*row) for row in rows]

    async def ratings_per_document(
        self, since: datetime, until: datetime, limit: int = 50
    ) -> list[RatingCount]:
        rows = await self._rows(
            """
            SELECT d.source || ':' || d.path, max(d.title),
                   count(*) FILTER (WHERE f.rating = 1), count(*) FILTER (WHERE f.rating = -1)
            FROM feedback f,
                 LATERAL (SELECT DISTINCT e->>'source' AS source, e->>'path' AS path,
                                 e->>'title' AS title
                          FROM jsonb_array_elements(f.sources) e) d
            WHERE f.created_at >= %(since)s AND f.created_at < %(until)s
            GROUP BY 1 ORDER BY count(*) FILTER (WHERE f.rating = -1) DESC, count(*) DESC, 1
            LIMIT %(limit)s""",
            {"since": since, "until": until, "limit": limit},
        )
        return [RatingCount(*row) for row in rows]

    async def comments(self, since: datetime, until: datetime, limit: int = 50) -> list[Comment]:
        """The comments left with a 👎, newest first."""
        rows = await self._rows(
            """
            SELECT question, comment, created_at FROM feedback
            WHERE rating = -1 AND comment IS NOT NULL AND comment <> ''
              AND created_at >= %(since)s AND created_at < %(until)s
            ORDER BY created_at DESC LIMIT %(limit)s""",
            {"since": since, "until": until, "limit": limit},
        )
        return [Comment(*row) for row in rows]

    async def document_use(self, since: datetime, until: datetime) -> list[DocumentUse]:
        """Every stored document with how often answered questions cited it, most first."""
        rows = await self._rows(
            """
            WITH cited AS (
                SELECT e->>'source' AS source, e->>'path' AS path, count(*) AS n
                FROM answers a, jsonb_array_elements(a.sources) e
                WHERE a.created_at >= %(since)s AND a.created_at < %(until)s AND a.answered
                GROUP BY 1, 2)
            SELECT d.source, d.path, d.title, d.url, coalesce(c.n, 0), d.updated_at
            FROM documents d LEFT JOIN cited c ON c.source = d.source AND c.path = d.path
            ORDER BY coalesce(c.n, 0) DESC, d.source, d.path""",
            {"since": since, "until": until},
        )
        return [DocumentUse(*row) for row in rows]

    async def usage_per_day(self, since: datetime, until: datetime) -> list[DailyUsage]:
        rows = await self._rows(
            """
            SELECT date_trunc('day', a.created_at)::date, a.platform, count(*),
                   count(*) FILTER (WHERE a.answered)
            FROM answers a WHERE a.created_at >= %(since)s AND a.created_at < %(until)s
            GROUP BY 1, 2 ORDER BY 1, 2""",
            {"since": since, "until": until},
        )
        return [DailyUsage(*row) for row in rows]

    async def answer_ms_percentiles(
        self, since: datetime, until: datetime
    ) -> tuple[float | None, float | None]:
        """p50 and p95 of the time taken to answer, in milliseconds."""
        rows = await self._rows(
            """
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY a.answer_ms),
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY a.answer_ms)
            FROM answers a WHERE a.created_at >= %(since)s AND a.created_at < %(until)s
              AND a.answer_ms IS NOT NULL""",
            {"since": since, "until": until},
        )
        p50, p95 = rows[0] if rows else (None, None)
        return p50, p95

    async def question_log(self, limit: int = 100, offset: int = 0) -> list[LoggedAnswer]:
        """The newest questions with their answers, citations and ratings."""
        rows = await self._rows(
            """
            SELECT a.id, a.asker, a.platform, a.question, a.answer, a.answered, a.sources,
                   a.answer_ms, a.created_at,
                   count(f.id) FILTER (WHERE f.rating = 1),
                   count(f.id) FILTER (WHERE f.rating = -1)
            FROM answers a LEFT JOIN feedback f ON f.answer_id = a.id
            GROUP BY a.id ORDER BY a.created_at DESC, a.id LIMIT %(limit)s OFFSET %(offset)s""",
            {"limit": limit, "offset": offset},
        )
        return [LoggedAnswer(*row) for row in rows]
