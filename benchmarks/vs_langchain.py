"""Deskmate's store vs langchain-postgres `PGVector`: same chunks, same vectors, same server.

    .venv/bin/python benchmarks/vs_langchain.py                   # real corpus (or the sample KB)
    .venv/bin/python benchmarks/vs_langchain.py --corpus sample   # examples/kb + its questions
    .venv/bin/python benchmarks/vs_langchain.py --synthetic 100000

The corpus is loaded and chunked once with Deskmate's loaders and chunker, and embedded once
with the local all-MiniLM-L6-v2; both stores get exactly those rows and vectors, in one
embedded PostgreSQL, so the comparison is the store and not the model. The real corpus is
contoso-hr-benefits-rag-eval (with its 50 evaluation questions and page citations) plus the
18F and Basecamp handbooks as distractors, from ../shared/corpus; without that folder the
sample knowledge base and examples/questions.jsonl are used. `--synthetic N` uses clustered
synthetic vectors instead (recall is then agreement with exact search only).

Protocol, the same for both stores:
1. Ingest with no HNSW index (PGVector's standard schema has none; Deskmate's migration index
   is dropped): Deskmate through `DocumentStore.replace` (one transaction and one binary COPY
   per document: the indexer's path); PGVector through `add_embeddings` in batches (one call
   with every row exceeds PostgreSQL's 65,535 bind parameters; --pgvector-batch).
2. Build the same HNSW index (vector_cosine_ops, m=16, ef_construction=64) on both tables
   with the same maintenance_work_mem.
3. When the corpus is small enough (--with-index-max), empty both tables and ingest again with
   the index in place: the steady-state cost of adding rows.
4. Top-5 queries, interleaved round by round: Deskmate `store.search.search` (vector and
   hybrid) and PGVector `similarity_search_by_vector` / `asimilarity_search_by_vector`. Both
   use hnsw.ef_search=100 and iterative scans (Deskmate's pool setting; passed to PGVector's
   engine as connection options); PGVector with its server default (ef_search=40) is shown too.
   psycopg prepares a statement after 5 executions and PostgreSQL may then switch to a generic
   plan, which on small tables can be an exact scan instead of the HNSW index; both stores are
   therefore also measured with plan_cache_mode=force_custom_plan ("custom plans").
Recall: agreement with exact (numpy) top-5 over the same vectors, and for real questions the
share whose top 5 chunks include the cited file (and the cited page, where one is given).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg
from common import (
    ROOT,
    Timer,
    bench_settings,
    machine,
    percentile,
    scratch_database,
    store_pool,
)
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_postgres import PGVector
from pgvector.psycopg import register_vector
from sqlalchemy import Engine, create_engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from synthetic import CHUNKS_PER_DOCUMENT, DIM, audiences, clustered_vectors, queries_near

from adapters.settings import AppSettings
from bot.models import Chunk
from bot.store import Store, open_store
from bot.store.documents import ChunkRow, DocumentRow
from bot.store.search import SearchMode
from evaluation.answers import load_cases, matches
from indexer.chunking import chunk_document
from indexer.pipeline import load_source
from indexer.records import ChunkDraft, LoadedDocument, Source
from indexer.sources import load_sources

K = 5
CORPUS = ROOT.parent / "shared" / "corpus"
CONTOSO = CORPUS / "contoso-hr-benefits-rag-eval"
DISTRACTORS = ("handbook-18f-tts", "handbook-basecamp")
ALL_GROUPS = frozenset({"everyone", "hr"})  # PGVector has no access control: both see all
SAME_SEARCH = "-c hnsw.ef_search=100 -c hnsw.iterative_scan=relaxed_order"
CUSTOM_PLANS = "force_custom_plan"
RATIOS = (
    ("PGVector similarity_search_by_vector", "Deskmate vector (store.search)"),
    ("PGVector asimilarity_search_by_vector", "Deskmate vector (store.search)"),
    ("PGVector similarity_search..., custom plans", "Deskmate vector, custom plans"),
    ("PGVector sync, server default ef_search=40", "Deskmate vector (store.search)"),
)
CITATION = re.compile(r"\[([^\]#]+)#page=(\d+)\]")


@dataclass(frozen=True)
class Query:
    text: str
    vector: np.ndarray
    cited: dict[str, frozenset[int]] = field(default_factory=dict)  # path -> pages (may be {})


@dataclass
class Corpus:
    name: str
    documents: list[DocumentRow]
    chunks: list[list[ChunkDraft]]  # per document, in row order
    vectors: np.ndarray  # one row per chunk, documents in order
    queries: list[Query]

    @property
    def rows(self) -> int:
        return len(self.vectors)


class PrecomputedOnly(Embeddings):
    """PGVector wants an `Embeddings`; this benchmark only ever hands it vectors."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise RuntimeError("vectors are computed once, before either store sees them")

    def embed_query(self, text: str) -> list[float]:
        raise RuntimeError("vectors are computed once, before either store sees them")


# --- corpora ---------------------------------------------------------------------------------


def to_document_row(document: LoadedDocument, audience: Sequence[str]) -> DocumentRow:
    return DocumentRow(
        source=document.source,
        path=document.path,
        title=document.title,
        url=document.url,
        parent_path=document.parent_path,
        breadcrumbs=document.breadcrumbs,
        content_hash=document.content_hash,
        audience=tuple(audience),
        updated_at=document.updated_at,
    )


def embed(texts: list[str]) -> np.ndarray:
    from bot.embeddings import TorchEmbedder

    embedder = TorchEmbedder()
    embedder.load()
    with Timer() as spent:
        vectors: np.ndarray = embedder.embed(texts)
    print(f"embedded {len(texts):,} texts once with {embedder.name} in {spent.seconds:.1f}s")
    return vectors


def chunked(sources: Sequence[Source]) -> tuple[list[DocumentRow], list[list[ChunkDraft]]]:
    documents, chunks = [], []
    for source in sources:
        for item in load_source(source):
            if isinstance(item, LoadedDocument):
                drafts = list(chunk_document(item))
                if drafts:
                    documents.append(to_document_row(item, source.audience))
                    chunks.append(drafts)
    return documents, chunks


def real_corpus() -> Corpus:
    sources = [Source("contoso", "auto", CONTOSO / "data")]
    sources += [Source(name, "auto", CORPUS / name) for name in DISTRACTORS]
    documents, chunks = chunked(sources)
    lines = (CONTOSO / "evals" / "ground_truth.jsonl").read_text(encoding="utf-8").splitlines()
    evals = [json.loads(line) for line in lines if line.strip()]
    texts = [c.embed_text for drafts in chunks for c in drafts]
    vectors = embed(texts + [e["question"] for e in evals])
    queries = []
    for e, vector in zip(evals, vectors[len(texts) :], strict=True):
        cited: dict[str, set[int]] = {}
        for path, page in CITATION.findall(e["truth"]):
            cited.setdefault(path, set()).add(int(page))
        queries.append(Query(e["question"], vector, {p: frozenset(s) for p, s in cited.items()}))
    name = "contoso-hr-benefits-rag-eval + " + " + ".join(DISTRACTORS)
    return Corpus(name, documents, chunks, vectors[: len(texts)], queries)


def sample_corpus() -> Corpus:
    documents, chunks = chunked(load_sources(ROOT / "examples" / "sources.yaml"))
    cases = [c for c in load_cases(ROOT / "examples" / "questions.jsonl") if c.expected_sources]
    texts = [c.embed_text for drafts in chunks for c in drafts]
    vectors = embed(texts + [c.question for c in cases])
    queries = [
        Query(c.question, v, {c.expected_sources[0]: frozenset()})
        for c, v in zip(cases, vectors[len(texts) :], strict=True)
    ]
    return Corpus("examples/kb (sample)", documents, chunks, vectors[: len(texts)], queries)


def synthetic_corpus(n: int, count: int) -> Corpus:
    vectors = clustered_vectors(n)
    restricted = audiences(n)
    documents, chunks = [], []
    for d in range((n + CHUNKS_PER_DOCUMENT - 1) // CHUNKS_PER_DOCUMENT):
        first = d * CHUNKS_PER_DOCUMENT
        audience = ("hr",) if restricted[first] else ("everyone",)
        documents.append(
            DocumentRow(
                source="synthetic",
                path=f"doc-{d}.md",
                title=f"Document {d}",
                url=None,
                parent_path=None,
                breadcrumbs=(),
                content_hash=str(d),
                audience=audience,
                updated_at=None,
            )
        )
        chunks.append(
            [
                ChunkDraft(i - first, f"synthetic passage {i} about topic {i % 997}", (f"Doc {d}",))
                for i in range(first, min(n, first + CHUNKS_PER_DOCUMENT))
            ]
        )
    picks = np.random.default_rng(11).integers(0, n, count)  # as queries_near picks them
    # the words of the synthetic text are in every chunk; the numbers are selective, like a
    # real question's rarer words
    near = queries_near(vectors, count)
    queries = [Query(f"{i} {i % 997}", v) for i, v in zip(picks, near, strict=True)]
    return Corpus(f"synthetic {n:,} chunks", documents, chunks, vectors, queries)


# --- the two stores --------------------------------------------------------------------------


async def ingest_deskmate(store: Store, corpus: Corpus) -> float:
    """The indexer's write path: `DocumentStore.replace` per document (binary COPY)."""
    batches, offset = [], 0
    for document, drafts in zip(corpus.documents, corpus.chunks, strict=True):
        rows = [
            ChunkRow(c.ordinal, c.heading_path, c.text, c.page, corpus.vectors[offset + i])
            for i, c in enumerate(drafts)
        ]
        offset += len(rows)
        batches.append((document, rows))
    with Timer() as spent:
        for document, rows in batches:
            await store.documents.replace(document, rows)
    return spent.seconds


def pgvector_rows(corpus: Corpus) -> tuple[list[str], list[list[float]], list[dict[str, Any]]]:
    texts, metadatas = [], []
    for document, drafts in zip(corpus.documents, corpus.chunks, strict=True):
        for c in drafts:
            texts.append(c.text)
            metadatas.append(
                {
                    "source": document.source,
                    "path": document.path,
                    "title": document.title,
                    "url": document.url,
                    "heading_path": list(c.heading_path),
                    "ordinal": c.ordinal,
                    "page": c.page,
                    "audience": list(document.audience),
                }
            )
    return texts, corpus.vectors.tolist(), metadatas


def ingest_pgvector(pg: PGVector, corpus: Corpus, batch: int) -> float:
    texts, embeddings, metadatas = pgvector_rows(corpus)
    ids = [str(uuid.UUID(int=row)) for row in range(len(texts))]  # uuid-shaped, like its own
    with Timer() as spent:
        for s in range(0, len(texts), batch):
            e = s + batch
            pg.add_embeddings(texts[s:e], embeddings[s:e], metadatas[s:e], ids[s:e])
    return spent.seconds


def build_indexes(url: str, maintenance_work_mem: str) -> dict[str, float]:
    statements = {
        "Deskmate": "CREATE INDEX chunks_embedding ON chunks USING hnsw "
        "(embedding vector_cosine_ops)",
        "PGVector": "CREATE INDEX langchain_pg_embedding_hnsw ON langchain_pg_embedding "
        "USING hnsw (embedding vector_cosine_ops)",
    }
    seconds = {}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"SET maintenance_work_mem = '{maintenance_work_mem}'")
        for name, statement in statements.items():
            with Timer() as spent:
                conn.execute(statement)
            seconds[name] = spent.seconds
    return seconds


TABLES = (
    ("Deskmate", "chunks", "chunks_embedding"),
    ("PGVector", "langchain_pg_embedding", "langchain_pg_embedding_hnsw"),
)
TOP_K_SQL = {  # each store's top-k statement, reduced to what decides the plan
    "Deskmate": "SELECT c.id FROM chunks c WHERE c.audience && %(groups)s "
    "ORDER BY c.embedding <=> %(emb)s LIMIT 5",
    "PGVector": "SELECT e.id FROM langchain_pg_embedding e WHERE e.collection_id = "
    "(SELECT uuid FROM langchain_pg_collection LIMIT 1) ORDER BY e.embedding <=> %(emb)s LIMIT 5",
}


def report_tables(url: str, probe: np.ndarray) -> None:
    """Sizes (table with indexes, HNSW index, TOAST) and the plan each store's top-k gets."""
    with psycopg.connect(url, autocommit=True) as conn:
        register_vector(conn)
        conn.execute("VACUUM (ANALYZE) chunks, documents, langchain_pg_embedding")
        for name, table, index in TABLES:
            total, hnsw, toast = conn.execute(
                "SELECT pg_total_relation_size(c.oid) / 1e6, pg_relation_size(%s::regclass) / 1e6,"
                " coalesce(pg_relation_size(nullif(c.reltoastrelid, 0)), 0) / 1e6 "
                "FROM pg_class c WHERE c.oid = %s::regclass",
                (index, table),
            ).fetchone() or (0, 0, 0)
            plans = []
            for ef_search in (40, 100):
                conn.execute(f"SET hnsw.ef_search = {ef_search}")
                rows = conn.execute(
                    "EXPLAIN " + TOP_K_SQL[name], {"emb": probe, "groups": sorted(ALL_GROUPS)}
                ).fetchall()
                hnsw_used = any(index in str(r[0]) for r in rows)
                plans.append(f"ef_search={ef_search}: {'HNSW' if hnsw_used else 'exact scan'}")
            print(
                f"  {name}: table with indexes {total:,.1f} MB, HNSW index {hnsw:,.1f} MB, TOAST "
                f"{toast:,.1f} MB; planner's choice for top-5 (custom plan): {', '.join(plans)}"
            )


# --- queries ---------------------------------------------------------------------------------

Hit = tuple[int, str, int | None]  # row, path, page
Searcher = Callable[[Query], Awaitable[list[Hit]]]


def deskmate_searcher(store: Store, mode: SearchMode, first_id: int) -> Searcher:
    limit = {"limit": K, "per_document": K} if mode == "vector" else {"limit": K}

    async def search(q: Query) -> list[Hit]:
        chunks: list[Chunk] = await store.search.search(
            q.text, q.vector, ALL_GROUPS, mode=mode, **limit
        )
        return [(c.chunk_id - first_id, c.path, c.page) for c in chunks]

    return search


def pgvector_hits(docs: list[Document], row_of: dict[str, int]) -> list[Hit]:
    return [(row_of[str(d.id)], d.metadata["path"], d.metadata["page"]) for d in docs]


def pgvector_searcher(pg: PGVector, row_of: dict[str, int], use_async: bool) -> Searcher:
    lists: dict[int, list[float]] = {}

    def as_list(q: Query) -> list[float]:  # LangChain embedders return lists; not timed
        return lists.setdefault(id(q), q.vector.tolist())

    async def search_async(q: Query) -> list[Hit]:
        vector = as_list(q)
        return pgvector_hits(await pg.asimilarity_search_by_vector(vector, k=K), row_of)

    async def search_sync(q: Query) -> list[Hit]:
        vector = as_list(q)
        return pgvector_hits(pg.similarity_search_by_vector(vector, k=K), row_of)

    return search_async if use_async else search_sync


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    hits: list[list[Hit]] = field(default_factory=list)

    def p(self, pct: float) -> float:
        return percentile(self.latencies, pct) * 1000


async def run_queries(
    searchers: dict[str, Searcher], queries: Sequence[Query], rounds: int
) -> dict[str, Outcome]:
    outcomes = {name: Outcome() for name in searchers}
    for search in searchers.values():  # warm-up: connections, caches, plans
        for q in queries[:10]:
            await search(q)
    for round_ in range(rounds):
        for name, search in searchers.items():
            for q in queries:
                started = time.perf_counter()
                hits = await search(q)
                outcomes[name].latencies.append(time.perf_counter() - started)
                if round_ == 0:
                    outcomes[name].hits.append(hits)
    return outcomes


def exact_rows(vectors: np.ndarray, queries: Sequence[Query]) -> list[set[int]]:
    scores = vectors @ np.stack([q.vector for q in queries]).T
    top = np.argpartition(-scores, K, axis=0)[:K]
    return [set(top[:, j].tolist()) for j in range(top.shape[1])]


def cited_hit(q: Query, hits: list[Hit], by_page: bool) -> float:
    for _, path, page in hits:
        for cited, pages in q.cited.items():
            if matches(cited, path) and (not by_page or not pages or page in pages):
                return 1.0
    return 0.0


def report_queries(outcomes: dict[str, Outcome], corpus: Corpus) -> None:
    exact = exact_rows(corpus.vectors, corpus.queries)
    cited = any(q.cited for q in corpus.queries)
    paged = any(pages for q in corpus.queries for pages in q.cited.values())
    print(f"\ntop-{K} queries: {len(corpus.queries)} questions x rounds, after a 10-query warm-up")
    for name, o in outcomes.items():
        pairs = list(zip(corpus.queries, o.hits, strict=True))
        agree = statistics.fmean(
            len({h[0] for h in hits} & e) / K for hits, e in zip(o.hits, exact, strict=True)
        )
        parts = [f"p50 {o.p(50):6.2f} ms", f"p95 {o.p(95):6.2f} ms", f"n={len(o.latencies)}"]
        parts.append(f"exact top-{K} agreement {agree:.3f}" if "hybrid" not in name else "")
        if cited:
            file_hits = statistics.fmean(cited_hit(q, h, False) for q, h in pairs)
            parts.append(f"recall@{K} cited file {file_hits:.3f}")
        if paged:
            page_hits = statistics.fmean(cited_hit(q, h, True) for q, h in pairs)
            parts.append(f"cited page {page_hits:.3f}")
        print(f"  {name:42s} " + ", ".join(p for p in parts if p))
    print("ratios (PGVector latency / Deskmate latency; > 1 means Deskmate is faster):")
    for pgvector, deskmate in RATIOS:
        o, base = outcomes[pgvector], outcomes[deskmate]
        p50, p95 = o.p(50) / base.p(50), o.p(95) / base.p(95)
        print(f"  {pgvector:44s} / {deskmate:31s} p50 {p50:5.2f}x, p95 {p95:5.2f}x")


# --- main ------------------------------------------------------------------------------------


def pick_corpus(args: argparse.Namespace) -> Corpus:
    if args.synthetic:
        return synthetic_corpus(args.synthetic, args.queries)
    if args.corpus == "real" or (args.corpus == "auto" and CONTOSO.is_dir()):
        return real_corpus()
    return sample_corpus()


def report_ingest(label: str, deskmate: float, pgvector: float, rows: int) -> None:
    print(
        f"{label}: Deskmate {deskmate:.2f}s ({rows / deskmate:,.0f} rows/s), "
        f"PGVector {pgvector:.2f}s ({rows / pgvector:,.0f} rows/s) -> Deskmate "
        + (
            f"{pgvector / deskmate:.1f}x faster"
            if pgvector >= deskmate
            else f"{deskmate / pgvector:.1f}x slower"
        )
    )


async def compare(corpus: Corpus, args: argparse.Namespace) -> None:
    with scratch_database() as (url, tmp):
        settings = bench_settings(url, tmp)
        model = "synthetic" if args.synthetic else "all-MiniLM-L6-v2"
        sa_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        engine = create_engine(sa_url, connect_args={"options": SAME_SEARCH})
        pg = PGVector(PrecomputedOnly(), connection=engine, embedding_length=DIM, use_jsonb=True)
        async with open_store(settings, dim=DIM, model=model) as store:
            async with store.pool.connection() as conn:
                await conn.execute("DROP INDEX chunks_embedding")
            deskmate_s = await ingest_deskmate(store, corpus)
            pgvector_s = ingest_pgvector(pg, corpus, args.pgvector_batch)
            report_ingest("ingest, no HNSW index", deskmate_s, pgvector_s, corpus.rows)
            build = build_indexes(url, args.maintenance_work_mem)
            print(
                f"HNSW build: Deskmate {build['Deskmate']:.2f}s, PGVector {build['PGVector']:.2f}s"
                f" ({build['PGVector'] / build['Deskmate']:.2f}x)"
            )
            total_d, total_p = deskmate_s + build["Deskmate"], pgvector_s + build["PGVector"]
            report_ingest("ingest + HNSW build", total_d, total_p, corpus.rows)
            if corpus.rows <= args.with_index_max:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute("TRUNCATE chunks, documents, langchain_pg_embedding")
                deskmate_s = await ingest_deskmate(store, corpus)
                pgvector_s = ingest_pgvector(pg, corpus, args.pgvector_batch)
                label = "ingest with the HNSW index in place"
                report_ingest(label, deskmate_s, pgvector_s, corpus.rows)
            report_tables(url, corpus.queries[0].vector)
            await query_both(store, pg, settings, url, corpus, args)
        engine.dispose()


async def query_both(
    store: Store,
    pg: PGVector,
    settings: AppSettings,
    url: str,
    corpus: Corpus,
    args: argparse.Namespace,
) -> None:
    with psycopg.connect(url) as conn:
        first_id = int(conn.execute("SELECT min(id) FROM chunks").fetchone()[0])  # type: ignore[index]
    row_of = {str(uuid.UUID(int=row)): row for row in range(corpus.rows)}
    sa_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    async_engine = create_async_engine(sa_url, connect_args={"options": SAME_SEARCH})
    engines = {
        "custom": create_engine(
            sa_url, connect_args={"options": f"{SAME_SEARCH} -c plan_cache_mode={CUSTOM_PLANS}"}
        ),
        "default": create_engine(sa_url),
    }
    connections: dict[str, Engine | AsyncEngine] = {**engines, "async": async_engine}
    stores = {
        name: PGVector(PrecomputedOnly(), connection=e, embedding_length=DIM, use_jsonb=True)
        for name, e in connections.items()
    }
    custom_pool = store_pool(url, 100, CUSTOM_PLANS)
    await custom_pool.open(wait=True, timeout=15)
    searchers = {
        "Deskmate vector (store.search)": deskmate_searcher(store, "vector", first_id),
        "Deskmate vector, custom plans": deskmate_searcher(
            Store(custom_pool, settings), "vector", first_id
        ),
        "Deskmate hybrid (store.search)": deskmate_searcher(store, "hybrid", first_id),
        "PGVector similarity_search_by_vector": pgvector_searcher(pg, row_of, False),
        "PGVector similarity_search..., custom plans": pgvector_searcher(
            stores["custom"], row_of, False
        ),
        "PGVector asimilarity_search_by_vector": pgvector_searcher(stores["async"], row_of, True),
        "PGVector sync, server default ef_search=40": pgvector_searcher(
            stores["default"], row_of, False
        ),
    }
    rounds = max(1, -(-args.samples // len(corpus.queries)))
    try:
        outcomes = await run_queries(searchers, corpus.queries, rounds)
    finally:
        await custom_pool.close()
        await async_engine.dispose()
        for engine in engines.values():
            engine.dispose()
    report_queries(outcomes, corpus)


async def main(args: argparse.Namespace) -> None:
    print(f"machine: {machine()}")
    corpus = pick_corpus(args)
    print(
        f"corpus: {corpus.name}: {len(corpus.documents):,} documents, {corpus.rows:,} chunks, "
        f"{len(corpus.queries)} questions; PGVector add_embeddings batch {args.pgvector_batch}"
    )
    await compare(corpus, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", choices=["auto", "real", "sample"], default="auto")
    parser.add_argument("--synthetic", type=int, metavar="N", help="N synthetic chunks instead")
    parser.add_argument("--queries", type=int, default=200, help="synthetic queries")
    parser.add_argument("--samples", type=int, default=200, help="timed queries per searcher")
    parser.add_argument("--pgvector-batch", type=int, default=200)
    parser.add_argument("--with-index-max", type=int, default=20_000)
    parser.add_argument("--maintenance-work-mem", default="1GB")
    asyncio.run(main(parser.parse_args()))
