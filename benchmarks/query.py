"""Query benchmark: top-k retrieval latency and HNSW recall@10 against exact search.

    .venv/bin/python benchmarks/query.py                   # 10k and 100k chunks, vector and halfvec
    .venv/bin/python benchmarks/query.py --sizes 10000 --types vector

Synthetic clustered vectors (384 dimensions, like all-MiniLM-L6-v2), loaded with binary COPY
into Deskmate's own schema; queries go through the store's real search statements. Exact
neighbours come from numpy over the same vectors. 10% of documents are restricted to `hr`;
"filtered" queries run as an ordinary user (pgvector 0.8 iterative index scans).
"""

from __future__ import annotations

import argparse
import asyncio
import time

import numpy as np
import psycopg
from common import (
    Timer,
    bench_settings,
    describe_ms,
    exact_scan_seconds,
    machine,
    scratch_database,
)
from synthetic import audiences, clustered_vectors, load, queries_near

from bot.store import open_store

K = 10
QUERIES = 200


def exact_top_k(vectors: np.ndarray, query: np.ndarray, allowed: np.ndarray) -> set[int]:
    scores = vectors @ query
    scores[~allowed] = -np.inf
    return set(np.argpartition(-scores, K)[:K].tolist())


async def run(size: int, vector_type: str) -> None:
    vectors = clustered_vectors(size)
    restricted = audiences(size)
    queries = queries_near(vectors, QUERIES)
    with scratch_database() as (url, tmp):
        settings = bench_settings(url, tmp, vector_type=vector_type)
        async with open_store(settings, dim=vectors.shape[1], model="synthetic"):
            pass  # migrations only
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP INDEX chunks_embedding")
        with Timer() as copy_time:
            first_id = load(url, vectors, restricted, vector_type)
        with psycopg.connect(url, autocommit=True) as conn, Timer() as build:
            conn.execute("SET maintenance_work_mem = '2GB'")
            conn.execute(
                f"CREATE INDEX chunks_embedding ON chunks USING hnsw "
                f"(embedding {vector_type}_cosine_ops)"
            )
            size_mb = conn.execute("SELECT pg_relation_size('chunks_embedding') / 1e6").fetchone()[
                0
            ]  # type: ignore[index]
            conn.execute("ANALYZE chunks")
        print(
            f"\n{size:,} chunks, {vector_type}: COPY {copy_time.seconds:.1f}s "
            f"({size / copy_time.seconds:,.0f} rows/s), HNSW build {build.seconds:.1f}s, "
            f"index {size_mb:.0f} MB"
        )
        async with open_store(settings, dim=vectors.shape[1], model="synthetic") as store:
            for label, groups, allowed in (
                ("unfiltered (hr member)", {"everyone", "hr"}, np.ones(size, bool)),
                ("filtered (ordinary user)", {"everyone"}, ~restricted),
            ):
                latencies, recalls, returned = [], [], []
                for q in queries:
                    started = time.perf_counter()
                    hits = await store.search.search(
                        "", q, groups, limit=K, per_document=K, mode="vector"
                    )
                    latencies.append(time.perf_counter() - started)
                    returned.append(len(hits))
                    found = {h.chunk_id - first_id for h in hits}
                    recalls.append(len(found & exact_top_k(vectors, q, allowed)) / K)
                print(
                    f"  {label}: {describe_ms(latencies)}, "
                    f"recall@{K} {np.mean(recalls):.3f}, fewest rows returned {min(returned)}"
                )
            exact = exact_scan_seconds(url, queries[:30], vector_type, ["everyone"], K)
            print(
                f"  baseline exact scan (no index): {describe_ms(exact)}; HNSW p50 is "
                f"{np.median(exact) / np.median(latencies):.0f}x faster"
            )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--types", nargs="+", default=["vector", "halfvec"])
    args = parser.parse_args()
    print(f"machine: {machine()}; {QUERIES} queries, top-{K}, hnsw.ef_search=100")
    for size in args.sizes:
        for vector_type in args.types:
            await run(size, vector_type)


if __name__ == "__main__":
    asyncio.run(main())
