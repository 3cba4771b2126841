"""Hybrid search when the question's words are in nearly every chunk: with and without the
word statistics that let the keyword side leave such words out, in one run.

    .venv/bin/python benchmarks/common_words.py [--chunks 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from common import bench_settings, describe_ms, machine, scratch_database
from synthetic import audiences, clustered_vectors, load

from bot.store import open_store

QUESTION = "synthetic passage about topic 17"  # the first three words are in every chunk


async def main(n: int) -> None:
    print(f"machine: {machine()}; {n:,} synthetic chunks; question {QUESTION!r}")
    vectors = clustered_vectors(n)
    with scratch_database() as (url, tmp):
        settings = bench_settings(url, tmp)
        async with open_store(settings, dim=vectors.shape[1], model="synthetic"):
            pass  # migrations only
        load(url, vectors, audiences(n), settings.store.vector_type)
        async with open_store(settings, dim=vectors.shape[1], model="synthetic") as store:
            for label in ("without word statistics", "with word statistics"):
                if label.startswith("with "):
                    started = time.perf_counter()
                    await store.documents.refresh_lexeme_stats()
                    print(f"refresh_lexeme_stats: {time.perf_counter() - started:.1f}s")
                latencies = []
                for i in range(30):
                    started = time.perf_counter()
                    await store.search.search(QUESTION, vectors[i], {"everyone"}, limit=6)
                    latencies.append(time.perf_counter() - started)
                query = await store.search.keyword_query(QUESTION)
                print(f"  {label}: keyword query {query}; hybrid {describe_ms(latencies)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().chunks))
