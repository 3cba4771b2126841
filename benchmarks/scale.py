"""Scale benchmark: up to 1M chunks in Deskmate's schema with an HNSW index.

    .venv/bin/python benchmarks/scale.py                          # 10k, 100k and 1M chunks
    .venv/bin/python benchmarks/scale.py --sizes 10000 100000 --types vector
    .venv/bin/python benchmarks/scale.py --json /tmp/scale.json   # also keep the figures

For each size and column type (`vector`, `halfvec`), in a fresh embedded PostgreSQL: binary
COPY of synthetic chunks (benchmarks/synthetic.py) with the HNSW index dropped, then the HNSW
build (the migration's own index: cosine, m=16, ef_construction=64) with a generous
`maintenance_work_mem`; index and table sizes; peak memory of the server processes (psutil);
top-10 latency through the store's real search (`store.search.search(mode="vector")`, whose
pool sets `hnsw.ef_search = 100` and `hnsw.iterative_scan = relaxed_order`) and recall@10
against exact numpy search, unfiltered and filtered by audience (10% of documents restricted to
`hr`, queries as an ordinary user). When recall@10 is below the target, the same search runs
again with higher `hnsw.ef_search` values. The baseline is an exact scan (index scans off).
`--plan-cache-mode force_custom_plan` searches through a pool configured like the store's plus
that setting: psycopg prepares statements after 5 executions, and PostgreSQL's generic plan for
a small table can be an exact scan instead of the HNSW index.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import psycopg
from common import (
    MemoryPeak,
    MemorySampler,
    Timer,
    bench_settings,
    describe_ms,
    exact_scan_seconds,
    machine,
    percentile,
    scratch_database,
    store_pool,
)
from synthetic import DIM, audiences, clustered_vectors, load, queries_near

from adapters.settings import AppSettings
from bot.store import Store, open_store

K = 10
STORE_EF_SEARCH = 100  # what bot.store sets on every pooled connection
RECALL_TARGET = 0.95
WARM_UP = 20
EVERYONE = frozenset({"everyone"})
HR_MEMBER = frozenset({"everyone", "hr"})


@dataclass
class Searched:
    groups: str
    ef_search: int
    p50_ms: float
    p95_ms: float
    mean_ms: float
    recall: float
    fewest_rows: int


@dataclass
class Measured:
    size: int
    vector_type: str
    load_s: float = 0.0
    build_s: float | None = None
    index_mb: float = 0.0
    table_mb: float = 0.0
    build_memory: dict[str, float] = field(default_factory=dict)
    query_memory: dict[str, float] = field(default_factory=dict)
    searches: list[Searched] = field(default_factory=list)
    exact_p50_ms: float = 0.0


def exact_top_k(vectors: np.ndarray, queries: np.ndarray, allowed: np.ndarray) -> list[set[int]]:
    """The true top-k row numbers of every query, by cosine (the vectors are unit length)."""
    truth: list[set[int]] = []
    for start in range(0, len(queries), 50):
        scores = vectors @ queries[start : start + 50].T
        scores[~allowed] = -np.inf
        top = np.argpartition(-scores, K, axis=0)[:K]
        truth.extend(set(top[:, j].tolist()) for j in range(top.shape[1]))
    return truth


async def measure_searches(
    store: Store,
    queries: np.ndarray,
    truth: dict[str, list[set[int]]],
    first_id: int,
    ef_search: int,
) -> list[Searched]:
    results = []
    for label, groups in (("unfiltered", HR_MEMBER), ("filtered", EVERYONE)):
        for q in queries[:WARM_UP]:
            await store.search.search("", q, groups, limit=K, per_document=K, mode="vector")
        latencies, recalls, returned = [], [], []
        for q, expected in zip(queries, truth[label], strict=True):
            started = time.perf_counter()
            hits = await store.search.search("", q, groups, limit=K, per_document=K, mode="vector")
            latencies.append(time.perf_counter() - started)
            returned.append(len(hits))
            recalls.append(len({h.chunk_id - first_id for h in hits} & expected) / K)
        ms = [s * 1000 for s in latencies]
        results.append(
            Searched(
                label,
                ef_search,
                percentile(ms, 50),
                percentile(ms, 95),
                statistics.fmean(ms),
                float(np.mean(recalls)),
                min(returned),
            )
        )
        print(
            f"  {label:10s} ef_search={ef_search:<4d} {describe_ms(latencies)}, "
            f"recall@{K} {np.mean(recalls):.3f}, fewest rows returned {min(returned)}"
        )
    return results


def load_and_build(
    url: str, pgdata: Path, vectors: np.ndarray, restricted: np.ndarray, args: argparse.Namespace
) -> tuple[Measured, int]:
    vector_type = args.vector_type
    result = Measured(len(vectors), vector_type)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP INDEX chunks_embedding")
    with Timer() as copy_time:
        first_id = load(url, vectors, restricted, vector_type)
    result.load_s = copy_time.seconds
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"SET maintenance_work_mem = '{args.maintenance_work_mem}'")
        conn.execute(f"SET statement_timeout = '{int(args.build_timeout_min)}min'")
        try:
            with MemorySampler(pgdata) as memory, Timer() as build:
                conn.execute(
                    f"CREATE INDEX chunks_embedding ON chunks USING hnsw "
                    f"(embedding {vector_type}_cosine_ops)"
                )
            result.build_s = build.seconds
            result.build_memory = asdict(memory.peak)
        except psycopg.errors.QueryCanceled:
            print(f"  HNSW build exceeded {args.build_timeout_min} minutes; stopped")
        conn.execute("SET statement_timeout = 0")
        conn.execute("VACUUM (ANALYZE) chunks")
        row = conn.execute(
            "SELECT coalesce(pg_relation_size(to_regclass('chunks_embedding')), 0) / 1e6, "
            "pg_total_relation_size('chunks') / 1e6"
        ).fetchone()
        result.index_mb, result.table_mb = float(row[0]), float(row[1])  # type: ignore[index]
    return result, first_id


async def run_one(
    vectors: np.ndarray,
    restricted: np.ndarray,
    queries: np.ndarray,
    truth: dict[str, list[set[int]]],
    args: argparse.Namespace,
) -> Measured:
    with scratch_database() as (url, tmp):
        settings = bench_settings(url, tmp, vector_type=args.vector_type)
        async with open_store(settings, dim=DIM, model="synthetic"):
            pass  # migrations only
        result, first_id = load_and_build(url, tmp / "pg", vectors, restricted, args)
        build = f"{result.build_s:.1f}s" if result.build_s is not None else "not finished"
        print(
            f"\n{len(vectors):,} chunks, {args.vector_type}: COPY {result.load_s:.1f}s "
            f"({len(vectors) / result.load_s:,.0f} rows/s), HNSW build {build}, "
            f"index {result.index_mb:,.0f} MB, table with indexes {result.table_mb:,.0f} MB"
        )
        if result.build_s is None:
            return result
        print(f"  build memory: {MemoryPeak(**result.build_memory).describe()}")
        with MemorySampler(tmp / "pg") as memory:
            await search_all(url, settings, queries, truth, first_id, result, args)
        result.query_memory = asdict(memory.peak)
        print(f"  query memory: {memory.peak.describe()}")
        exact = [
            1000 * t
            for t in exact_scan_seconds(
                url, queries[: args.exact_queries], args.vector_type, HR_MEMBER, K
            )
        ]
        result.exact_p50_ms = percentile(exact, 50)
        store_p50 = result.searches[0].p50_ms
        print(
            f"  baseline exact scan (no index, unfiltered): p50 {result.exact_p50_ms:.1f} ms, "
            f"p95 {percentile(exact, 95):.1f} ms (n={len(exact)}); HNSW p50 is "
            f"{result.exact_p50_ms / store_p50:.0f}x faster"
        )
        return result


async def search_all(
    url: str,
    settings: AppSettings,
    queries: np.ndarray,
    truth: dict[str, list[set[int]]],
    first_id: int,
    result: Measured,
    args: argparse.Namespace,
) -> None:
    efs = [STORE_EF_SEARCH, *args.more_ef_search]
    for n, ef_search in enumerate(efs):
        if n and min(s.recall for s in result.searches[-2:]) >= RECALL_TARGET and not args.always:
            break
        if ef_search == STORE_EF_SEARCH and not args.plan_cache_mode:
            async with open_store(settings, dim=DIM, model="synthetic") as store:
                result.searches += await measure_searches(
                    store, queries, truth, first_id, ef_search
                )
            continue
        pool = store_pool(url, ef_search, args.plan_cache_mode)
        await pool.open(wait=True, timeout=15)
        try:
            store = Store(pool, settings)
            result.searches += await measure_searches(store, queries, truth, first_id, ef_search)
        finally:
            await pool.close()


def ground_truth(
    vectors: np.ndarray, restricted: np.ndarray, queries: np.ndarray
) -> dict[str, list[set[int]]]:
    return {
        "unfiltered": exact_top_k(vectors, queries, np.ones(len(vectors), bool)),
        "filtered": exact_top_k(vectors, queries, ~restricted),
    }


def summarise(results: Sequence[Measured]) -> None:
    print("\nsummary (store search, top-10; ratios against the smallest size of the same type):")
    for vector_type in dict.fromkeys(r.vector_type for r in results):
        rows = [r for r in results if r.vector_type == vector_type and r.searches]
        if not rows:
            continue
        base = rows[0]
        for r in rows:
            for s in r.searches:
                b = next(x for x in base.searches if (x.groups, x.ef_search) == (s.groups, 100))
                print(
                    f"  {vector_type:7s} {r.size:>9,} {s.groups:10s} ef_search={s.ef_search:<4d}"
                    f" p50 {s.p50_ms:6.1f} ms  p95 {s.p95_ms:6.1f} ms  recall@{K} {s.recall:.3f}"
                    f"  p95 {s.p95_ms / b.p95_ms:4.1f}x the {base.size:,} p95"
                )


async def main(args: argparse.Namespace) -> None:
    print(
        f"machine: {machine()}; {args.queries} queries (after {WARM_UP} warm-up), top-{K}; "
        f"maintenance_work_mem {args.maintenance_work_mem}; "
        f"plan_cache_mode {args.plan_cache_mode or 'as the store leaves it (auto)'}"
    )
    results: list[Measured] = []
    for size in args.sizes:
        with Timer() as prepare:
            vectors = clustered_vectors(size)
            restricted = audiences(size)
            queries = queries_near(vectors, args.queries)
            truth = ground_truth(vectors, restricted, queries)
        print(f"\n== {size:,} chunks (vectors and exact top-{K} in {prepare.seconds:.0f}s)")
        for vector_type in args.types:
            args.vector_type = vector_type
            results.append(await run_one(vectors, restricted, queries, truth, args))
            if args.json:
                args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))
        del vectors, truth
    summarise(results)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--types", nargs="+", default=["vector", "halfvec"])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--exact-queries", type=int, default=10, help="baseline exact scans")
    parser.add_argument("--maintenance-work-mem", default="4GB")
    parser.add_argument("--build-timeout-min", type=float, default=40)
    parser.add_argument(
        "--more-ef-search",
        type=int,
        nargs="*",
        default=[200, 400, 800, 1000],
        help=f"ef_search values tried in turn while recall@{K} < {RECALL_TARGET}",
    )
    parser.add_argument("--always", action="store_true", help="try every --more-ef-search value")
    parser.add_argument(
        "--plan-cache-mode",
        choices=["auto", "force_custom_plan", "force_generic_plan"],
        help="search through a pool like the store's with this plan_cache_mode (default: the "
        "store's own pool, which leaves PostgreSQL's default, auto)",
    )
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    asyncio.run(main(parser.parse_args()))
