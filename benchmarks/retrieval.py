"""Retrieval benchmark: hybrid vs vector-only vs keyword-only on the sample knowledge base's
question set (recall@5, MRR), then `Engine.answer` latency (no LLM) with 100k chunks.

    .venv/bin/python benchmarks/retrieval.py [--filler 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from common import (
    ROOT,
    bench_settings,
    describe_ms,
    machine,
    retrieval_quality,
    scratch_database,
)
from synthetic import audiences, clustered_vectors, load

from adapters.runtime import open_runtime
from bot.models import EVERYONE, Asker, Question
from evaluation.answers import load_cases

K = 5


async def main(filler: int) -> None:
    print(f"machine: {machine()}")
    cases = [c for c in load_cases(ROOT / "examples" / "questions.jsonl") if c.expected_sources]
    with scratch_database() as (url, tmp):
        settings = bench_settings(url, tmp)
        async with open_runtime(settings) as runtime:
            await runtime.warm_up()
            await runtime.reindex("benchmark")
            print(f"{len(cases)} questions with expected sources, k={K}")
            for mode in ("hybrid", "vector", "keyword"):
                recall, mrr = await retrieval_quality(runtime, cases, K, mode)
                print(f"  {mode:8s} recall@{K} {recall:.3f}  MRR {mrr:.3f}")
            vectors = clustered_vectors(filler)
            load(url, vectors, audiences(filler), settings.store.vector_type)
            total = sum(s.chunks for s in await runtime.store.stats())
            print(f"Engine.answer without an LLM over {total:,} chunks:")
            everyone = frozenset({EVERYONE})
            latencies = []
            for _ in range(3):
                for case in cases:
                    started = time.perf_counter()
                    await runtime.engine.answer(
                        Question(case.question, Asker("bench"), everyone, everyone)
                    )
                    latencies.append(time.perf_counter() - started)
            print(f"  {describe_ms(latencies)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--filler", type=int, default=100_000, help="synthetic chunks to add")
    asyncio.run(main(parser.parse_args().filler))
