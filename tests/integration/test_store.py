"""The store's schema: versioned migrations that are safe to run again and concurrently."""

from __future__ import annotations

import asyncio

import numpy as np
import psycopg

from adapters.settings import AppSettings
from bot.store import open_store
from bot.store.documents import ChunkRow, DocumentRow
from bot.store.migrations import SCHEMA_VERSION, migrate, schema_version
from bot.store.search import VECTOR_ONLY_SQL


async def _migrate(url: str) -> tuple[int, str, str]:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        return await migrate(conn, 384, "all-MiniLM-L6-v2", "vector")


async def test_migrations_run_once_and_are_recorded(empty_db: str) -> None:
    first = await _migrate(empty_db)
    again = await _migrate(empty_db)

    assert first == (SCHEMA_VERSION, "vector", "all-MiniLM-L6-v2")
    assert again == (0, "vector", "all-MiniLM-L6-v2")
    async with await psycopg.AsyncConnection.connect(empty_db) as conn:
        assert await schema_version(conn) == SCHEMA_VERSION


async def test_replicas_starting_together_migrate_exactly_once(empty_db: str) -> None:
    results = await asyncio.gather(*(_migrate(empty_db) for _ in range(3)))

    assert sorted(applied for applied, _, _ in results) == [0, 0, SCHEMA_VERSION]


async def test_embeddings_are_kept_in_the_row_for_fast_exact_scans(empty_db: str) -> None:
    await _migrate(empty_db)

    async with await psycopg.AsyncConnection.connect(empty_db) as conn:
        cur = await conn.execute(
            "SELECT attstorage FROM pg_attribute "
            "WHERE attrelid = 'chunks'::regclass AND attname = 'embedding'"
        )
        assert await cur.fetchone() == ("m",)


async def test_a_filtered_hnsw_search_still_returns_k_results(settings: AppSettings) -> None:
    """Only 5% of chunks are visible to an ordinary user. With the store's connection settings
    the HNSW scan keeps going (pgvector 0.8 iterative scans) until it has k visible rows;
    without them it would stop after ef_search candidates and return only a few."""
    rng = np.random.default_rng(5)
    async with open_store(settings, dim=384, model="test") as store:
        for d in range(40):
            audience = ["everyone"] if d % 20 == 0 else ["hr"]
            row = DocumentRow("s", f"d{d}.md", f"Doc {d}", None, None, (), str(d), audience, None)
            vectors = rng.standard_normal((50, 384)).astype(np.float32)
            chunks = [ChunkRow(i, ("Doc",), f"t{d}-{i}", None, v) for i, v in enumerate(vectors)]
            await store.documents.replace(row, chunks)
        params = {"emb": rng.standard_normal(384).astype(np.float32), "groups": ["everyone"]}
        async with store.pool.connection() as conn:
            await conn.execute("ANALYZE chunks")
            await conn.execute("SET enable_seqscan = off")  # small table: make it use HNSW
            await conn.execute("SET enable_bitmapscan = off")
            plan = await (
                await conn.execute("EXPLAIN " + VECTOR_ONLY_SQL, params | {"limit": 10})
            ).fetchall()
            found = await (await conn.execute(VECTOR_ONLY_SQL, params | {"limit": 10})).fetchall()
            await conn.execute("SET hnsw.iterative_scan = off")
            stopped = await (await conn.execute(VECTOR_ONLY_SQL, params | {"limit": 10})).fetchall()
            await conn.execute("RESET ALL")
            await conn.execute("SET hnsw.iterative_scan = relaxed_order")

    assert "chunks_embedding" in str(plan)
    assert len(found) == 10
    assert {r[3] for r in found} <= {"d0.md", "d20.md"}
    assert len(stopped) < 10  # what the setting prevents


async def test_words_in_most_chunks_of_a_large_knowledge_base_are_not_ranked_by(
    settings: AppSettings,
) -> None:
    rng = np.random.default_rng(9)
    async with open_store(settings, dim=384, model="test") as store:
        texts = [f"Acme handbook section {i} about topic{i % 37}." for i in range(1200)]
        texts[700] = "Acme zebra crossing rules for the car park."
        row = DocumentRow("s", "big.md", "Big", None, None, (), "h", ["everyone"], None)
        vectors = rng.standard_normal((len(texts), 384)).astype(np.float32)
        chunks = [ChunkRow(i, ("Big",), t, None, vectors[i]) for i, t in enumerate(texts)]
        await store.documents.replace(row, chunks)
        before = await store.search.keyword_query("acme zebra")

        await store.documents.refresh_lexeme_stats()

        after = await store.search.keyword_query("acme zebra")
        only_common = await store.search.keyword_query("acme handbook")
        hits = await store.search.search(
            "acme zebra", vectors[0], {"everyone"}, limit=3, per_document=3, mode="keyword"
        )

    assert before == "'acm' | 'zebra'"  # no statistics yet: every word counts
    assert after == "'zebra'"  # 'acme' is in every chunk
    assert only_common == "'acm' | 'handbook'"  # nothing left to drop to: keep them all
    assert hits[0].text.startswith("Acme zebra")


async def test_chat_words_are_not_searched_for_and_a_handbooks_word_covers_the_askers(
    settings: AppSettings,
) -> None:
    """ "How many vacation days do I get?" against a policy that says "paid time off" and
    "PTO": "many" and "get" are no topic, and "pto" is the handbook's word for "vacation"."""
    rng = np.random.default_rng(3)
    async with open_store(settings, dim=384, model="test") as store:
        texts = ["Full-time staff accrue 20 days of PTO a year.", "Expenses are paid monthly."]
        row = DocumentRow("s", "pto.md", "Paid time off", None, None, (), "h", ["everyone"], None)
        vectors = rng.standard_normal((2, 384)).astype(np.float32)
        chunks = [ChunkRow(i, ("Leave",), t, None, vectors[i]) for i, t in enumerate(texts)]
        await store.documents.replace(row, chunks)

        query = await store.search.keyword_query("how many vacation days do I get?")
        only_chat = await store.search.keyword_query("how many do I get?")
        found = await store.search.candidates(
            "how many vacation days do I get?", vectors[1], {"everyone"}
        )

    assert "'mani'" not in query
    assert "'get'" not in query
    assert {"'vacat'", "'pto'", "'day'"} <= set(query.split(" | "))
    assert only_chat == "'get' | 'mani'"  # nothing else to search for: keep them
    [pto] = [c for c in found if c.text.startswith("Full-time")]
    assert pto.coverage == 1.0  # "vacation" is covered by "PTO", "days" by "days"


async def test_a_misspelt_word_is_read_as_the_knowledge_bases_word_but_a_real_word_is_not(
    settings: AppSettings,
) -> None:
    """ "pention" is no English word and one letter from "pension", which the knowledge base
    holds, and "vacaton" from "vacation", for which it says PTO; "massages" is English: the
    knowledge base lacking it is what "I don't know" is for, however close "messages" is."""
    rng = np.random.default_rng(5)
    async with open_store(settings, dim=384, model="test") as store:
        texts = [
            "Our pension provider is Scottish Widows.",
            "The pension scheme matches 5% of your salary.",
            "You can leave the pension at any time.",
            "Post messages in the team channel.",
            "Messages older than a year are deleted.",
            "Reply to messages within a day.",
            "Full-time staff accrue 20 days of PTO a year.",
            "Book PTO two weeks ahead.",
            "Unused PTO carries over.",
        ]
        row = DocumentRow("s", "hb.md", "Handbook", None, None, (), "h", ["everyone"], None)
        vectors = rng.standard_normal((len(texts), 384)).astype(np.float32)
        chunks = [ChunkRow(i, ("Handbook",), t, None, vectors[i]) for i, t in enumerate(texts)]
        await store.documents.replace(row, chunks)
        await store.documents.refresh_lexeme_stats()

        misspelt = await store.search.keyword_query("who is the pention provider")
        real = await store.search.keyword_query("are there massages in the office")
        with_synonyms = await store.search.keyword_query("how many vacaton days do I get")
        found = await store.search.candidates(
            "who is the pention provider", vectors[5], {"everyone"}
        )

    assert {"'pention'", "'pension'", "'provid'"} <= set(misspelt.split(" | "))
    assert "'messag'" not in real
    assert "'pto'" in with_synonyms.split(" | ")  # "vacaton" is "vacation", PTO in a handbook
    [provider] = [c for c in found if c.text.startswith("Our pension provider")]
    assert provider.coverage == 1.0  # "pention" is covered by "pension"
    assert provider.keyword_rank == 1


async def test_a_failed_notice_forgets_the_admin_conversation_only_if_it_is_still_the_chosen_one(
    settings: AppSettings,
) -> None:
    """A notice to the old conversation fails while an admin chooses a new one: the new choice
    stays."""
    old, new = {"conversation": {"id": "19:old"}}, {"conversation": {"id": "19:new"}}
    async with open_store(settings, dim=384, model="test") as store:
        assert await store.admin.choose_conversation("teams", "19:old", old, "dana") is None
        replaced = await store.admin.choose_conversation("teams", "19:new", new, "dana")
        assert replaced == "19:old"

        stale = await store.admin.forget_conversation("teams", old)
        kept = await store.admin.conversation("teams")
        gone = await store.admin.forget_conversation("teams", new)

    assert (stale, kept, gone) == (False, new, True)
