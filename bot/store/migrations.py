"""Numbered schema migrations, applied once each and recorded in `deskmate_migrations`."""

from __future__ import annotations

from collections.abc import Callable

from psycopg import AsyncConnection, sql

from bot.errors import ConfigError, StoreUnavailable

Statement = sql.SQL | sql.Composed
Migration = Callable[[int, str], list[Statement]]

LOCK_KEY = 0x6465_736B  # advisory lock serialising migrations across processes


def _v1_knowledge_base(dim: int, vector_type: str) -> list[Statement]:
    vtype = sql.SQL(f"{vector_type}({int(dim)})")
    ops = sql.SQL(f"{vector_type}_cosine_ops")
    return [
        sql.SQL("""
        CREATE TABLE deskmate_meta (key text PRIMARY KEY, value text NOT NULL)"""),
        sql.SQL("""
        CREATE TABLE documents (
            id bigserial PRIMARY KEY,
            source text NOT NULL,
            path text NOT NULL,
            title text NOT NULL,
            url text,
            parent_path text,
            breadcrumbs text[] NOT NULL DEFAULT '{}',
            content_hash text NOT NULL,
            audience text[] NOT NULL,
            updated_at timestamptz,
            indexed_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (source, path))"""),
        sql.SQL("""
        CREATE TABLE chunks (
            id bigserial PRIMARY KEY,
            document_id bigint NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            ordinal int NOT NULL,
            heading_path text[] NOT NULL DEFAULT '{{}}',
            heading_text text NOT NULL DEFAULT '',
            text text NOT NULL,
            page int,
            audience text[] NOT NULL,
            embedding {vtype} NOT NULL,
            tsv tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('english', heading_text), 'A')
                || setweight(to_tsvector('english', text), 'B')) STORED)""").format(vtype=vtype),
        sql.SQL("CREATE INDEX chunks_document ON chunks (document_id, ordinal)"),
        sql.SQL("CREATE INDEX chunks_tsv ON chunks USING gin (tsv)"),
        sql.SQL("CREATE INDEX chunks_audience ON chunks USING gin (audience)"),
        sql.SQL("CREATE INDEX chunks_embedding ON chunks USING hnsw (embedding {ops})").format(
            ops=ops
        ),
        sql.SQL("""
        CREATE TABLE embedding_cache (
            model text NOT NULL,
            text_hash bytea NOT NULL,
            embedding {vtype} NOT NULL,
            PRIMARY KEY (model, text_hash))""").format(vtype=vtype),
        sql.SQL("""
        CREATE TABLE index_runs (
            id bigserial PRIMARY KEY,
            trigger text NOT NULL,
            sources text[] NOT NULL DEFAULT '{}',
            status text NOT NULL DEFAULT 'running',
            started_at timestamptz NOT NULL DEFAULT now(),
            finished_at timestamptz,
            counts jsonb NOT NULL DEFAULT '{}',
            errors jsonb NOT NULL DEFAULT '[]',
            host text,
            pid int)"""),
    ]


def _v2_conversations_and_feedback(dim: int, vector_type: str) -> list[Statement]:
    return [
        sql.SQL("""
        CREATE TABLE conversation_turns (
            id bigserial PRIMARY KEY,
            conversation_id text NOT NULL,
            question text NOT NULL,
            answer text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now())"""),
        sql.SQL("CREATE INDEX conversation_turns_key ON conversation_turns (conversation_id, id)"),
        sql.SQL("""
        CREATE TABLE answers (
            id text PRIMARY KEY,
            asker text NOT NULL,
            question text NOT NULL,
            answer text NOT NULL,
            sources jsonb NOT NULL DEFAULT '[]',
            answered boolean NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now())"""),
        sql.SQL("""
        CREATE TABLE feedback (
            id bigserial PRIMARY KEY,
            answer_id text NOT NULL,
            platform text NOT NULL,
            user_id text NOT NULL,
            rating smallint NOT NULL CHECK (rating IN (-1, 1)),
            comment text,
            question text NOT NULL DEFAULT '',
            answer text NOT NULL DEFAULT '',
            sources jsonb NOT NULL DEFAULT '[]',
            created_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (answer_id, user_id))"""),
        sql.SQL("""
        CREATE TABLE processed_events (
            key text PRIMARY KEY,
            created_at timestamptz NOT NULL DEFAULT now())"""),
    ]


def _v3_embeddings_inline(dim: int, vector_type: str) -> list[Statement]:
    """Keep embeddings in the row: a chunk with its text and tsvector passes 2 kB, so the
    default EXTERNAL storage moved the vector to TOAST and made every exact scan (the
    planner's choice for small knowledge bases) detoast it: 10x slower at 5k chunks.
    Applies to rows written from now on; re-indexed documents are rewritten."""
    return [sql.SQL("ALTER TABLE chunks ALTER COLUMN embedding SET STORAGE MAIN")]


def _v4_lexeme_stats(dim: int, vector_type: str) -> list[Statement]:
    """How many chunks hold each word, refreshed after index runs: the keyword side leaves out
    words too common to rank by (a word in every chunk made hybrid search score them all)."""
    return [sql.SQL("CREATE TABLE lexeme_stats (word text PRIMARY KEY, ndoc int NOT NULL)")]


def _v5_source_sync(dim: int, vector_type: str) -> list[Statement]:
    """Where each live source's sync stands: the last successful sync, the checkpoint an
    interrupted sync resumes from, pages to retry, and the last run's figures."""
    return [
        sql.SQL("""
        CREATE TABLE source_sync (
            source text PRIMARY KEY,
            last_success_at timestamptz,
            checkpoint jsonb,
            retry text[] NOT NULL DEFAULT '{}',
            figures jsonb NOT NULL DEFAULT '{}',
            updated_at timestamptz NOT NULL DEFAULT now())"""),
    ]


def _v6_insights_and_admin(dim: int, vector_type: str) -> list[Statement]:
    """What insights need of each answer (where it was asked, how long it took; the asker may
    be left out), the admin console's one-time sign-in links and sessions (stored as hashes),
    and when each cluster-wide scheduled job last ran (the weekly digest runs once)."""
    return [
        sql.SQL("ALTER TABLE answers ADD COLUMN platform text NOT NULL DEFAULT 'cli'"),
        sql.SQL("ALTER TABLE answers ADD COLUMN answer_ms real"),
        sql.SQL("ALTER TABLE answers ALTER COLUMN asker DROP NOT NULL"),
        sql.SQL("CREATE INDEX answers_created ON answers (created_at)"),
        sql.SQL("CREATE INDEX feedback_answer ON feedback (answer_id)"),
        sql.SQL("""
        CREATE TABLE admin_sign_ins (
            token_hash bytea PRIMARY KEY,
            admin text NOT NULL,
            expires_at timestamptz NOT NULL,
            used_at timestamptz)"""),
        sql.SQL("""
        CREATE TABLE admin_sessions (
            token_hash bytea PRIMARY KEY,
            admin text NOT NULL,
            csrf text NOT NULL,
            expires_at timestamptz NOT NULL)"""),
        sql.SQL("""
        CREATE TABLE job_runs (
            job text PRIMARY KEY,
            last_run_at timestamptz NOT NULL)"""),
    ]


def _v7_answer_messages(dim: int, vector_type: str) -> list[Statement]:
    """Which platform message shows which answer: Teams' native feedback names the message
    it is about (its activity id), not the answer."""
    return [
        sql.SQL("""
        CREATE TABLE answer_messages (
            platform text NOT NULL,
            conversation_id text NOT NULL,
            message_id text NOT NULL,
            answer_id text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (platform, conversation_id, message_id))"""),
    ]


def _v8_chunk_page_ranges(dim: int, vector_type: str) -> list[Statement]:
    """A chunk of a PDF section that runs on over a page break cites each page it covers:
    `page` is where it starts, `last_page` where it ends (NULL: the same page)."""
    return [sql.SQL("ALTER TABLE chunks ADD COLUMN last_page int")]


def _v9_admin_conversations(dim: int, vector_type: str) -> list[Statement]:
    """The conversation each platform's admin notices (the weekly digest, a failed nightly
    re-index) go to, when an admin chose it in chat: its id, the platform's own reference to
    it (a Teams `ConversationReference`, say), who chose it and when. One per platform."""
    return [
        sql.SQL("""
        CREATE TABLE admin_conversations (
            platform text PRIMARY KEY,
            conversation text NOT NULL,
            reference jsonb NOT NULL,
            chosen_by text NOT NULL,
            chosen_at timestamptz NOT NULL DEFAULT now())"""),
    ]


MIGRATIONS: list[Migration] = [
    lambda dim, vt: _v1_knowledge_base(dim, vt),
    lambda dim, vt: _v2_conversations_and_feedback(dim, vt),
    lambda dim, vt: _v3_embeddings_inline(dim, vt),
    lambda dim, vt: _v4_lexeme_stats(dim, vt),
    lambda dim, vt: _v5_source_sync(dim, vt),
    lambda dim, vt: _v6_insights_and_admin(dim, vt),
    lambda dim, vt: _v7_answer_messages(dim, vt),
    lambda dim, vt: _v8_chunk_page_ranges(dim, vt),
    lambda dim, vt: _v9_admin_conversations(dim, vt),
]
SCHEMA_VERSION = len(MIGRATIONS)


async def ensure_extension(conn: AsyncConnection) -> None:
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except Exception as exc:
        raise StoreUnavailable(
            "the pgvector extension is not available in this PostgreSQL "
            "(CREATE EXTENSION vector failed): install pgvector 0.8 on the server and run "
            "CREATE EXTENSION vector as a superuser, or leave DATABASE_URL empty to use the "
            "embedded database"
        ) from exc


async def migrate(
    conn: AsyncConnection, dim: int, model: str, vector_type: str
) -> tuple[int, str, str]:
    """Bring the schema to the newest version. Returns how many migrations ran, the vector
    column type the knowledge base was created with (`vector_type` only applies to a new one)
    and the embedding model its vectors come from (`model` for a new one)."""
    async with conn.transaction():
        # One process at a time, extension included: concurrent CREATE EXTENSION IF NOT
        # EXISTS from replicas starting together would collide.
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        await ensure_extension(conn)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS deskmate_migrations "
            "(version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        cur = await conn.execute("SELECT coalesce(max(version), 0) FROM deskmate_migrations")
        row = await cur.fetchone()
        current = int(row[0]) if row else 0
        for version in range(current + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[version - 1](dim, vector_type):
                await conn.execute(statement)
            await conn.execute("INSERT INTO deskmate_migrations (version) VALUES (%s)", (version,))
        if current == 0:
            await conn.execute(
                "INSERT INTO deskmate_meta (key, value) VALUES "
                "('embedding_model', %s), ('embedding_dim', %s), ('vector_type', %s)",
                (model, str(dim), vector_type),
            )
    stored_type, stored_model = await check_embedding_model(conn, dim, model)
    return SCHEMA_VERSION - current, stored_type, stored_model


async def check_embedding_model(conn: AsyncConnection, dim: int, model: str) -> tuple[str, str]:
    """Refuse an embedding model of another dimension than the stored vectors'; returns the
    vector column type and the model the vectors were made with (which may differ from
    `model`: `deskmate index` then re-embeds them)."""
    cur = await conn.execute("SELECT key, value FROM deskmate_meta")
    meta: dict[str, str] = dict(await cur.fetchall())
    if meta.get("embedding_dim") != str(dim):
        raise ConfigError(
            f"the knowledge base was built with {meta.get('embedding_model')} "
            f"({meta.get('embedding_dim')} dimensions) but DESKMATE_EMBEDDINGS gives {model} "
            f"({dim}); set DESKMATE_EMBEDDINGS back, or point DESKMATE_DATA_DIR/DATABASE_URL at "
            "a new database and re-index"
        )
    return meta.get("vector_type", "vector"), meta.get("embedding_model", model)


async def schema_version(conn: AsyncConnection) -> int:
    cur = await conn.execute("SELECT to_regclass('deskmate_migrations') IS NOT NULL")
    row = await cur.fetchone()
    if not row or not row[0]:
        return 0
    cur = await conn.execute("SELECT coalesce(max(version), 0) FROM deskmate_migrations")
    row = await cur.fetchone()
    return int(row[0]) if row else 0
