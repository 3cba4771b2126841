"""Ingest benchmark: index a corpus into a fresh embedded PostgreSQL and print throughput.

    .venv/bin/python benchmarks/ingest.py                    # the sample knowledge base
    .venv/bin/python benchmarks/ingest.py ../shared/corpus/handbook-basecamp

Prints documents/s, chunks/s and the share of time spent embedding vs in the store, then runs
the same index again (nothing changed) and prints its time as a share of the first run.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from common import ROOT, bench_settings, machine, scratch_database

from adapters.runtime import open_runtime
from indexer.pipeline import RunSummary
from indexer.records import Source
from indexer.sources import load_sources


def _report(label: str, s: RunSummary) -> None:
    docs = s.added + s.updated + s.unchanged
    print(
        f"{label}: {docs} documents, {s.chunks} chunks in {s.seconds:.2f}s "
        f"-> {docs / s.seconds:.1f} documents/s, {s.chunks / s.seconds:.1f} chunks/s; "
        f"embedded {s.embedded}, from cache {s.cached}, failed {s.failed}"
    )
    if s.seconds:
        other = s.seconds - s.embed_seconds - s.store_seconds
        print(
            f"  time: embedding {s.embed_seconds:.2f}s ({s.embed_seconds / s.seconds:.0%}), "
            f"store {s.store_seconds:.2f}s ({s.store_seconds / s.seconds:.0%}), "
            f"load+chunk+other {other:.2f}s ({other / s.seconds:.0%})"
        )


async def main(paths: list[Path]) -> None:
    print(f"machine: {machine()}")
    with scratch_database() as (url, tmp):
        settings = bench_settings(url, tmp)
        if paths:
            sources = [Source(p.name, "auto", p.resolve()) for p in paths]
        else:
            sources = load_sources(ROOT / "examples" / "sources.yaml")
        async with open_runtime(settings) as runtime:
            await runtime.warm_up()
            first = await runtime.index(sources, "benchmark")
            _report("first index", first)
            again = await runtime.index(sources, "benchmark")
            _report("unchanged re-index", again)
            print(
                f"unchanged re-index took {again.seconds / first.seconds:.1%} of the first "
                f"index and embedded {again.embedded} chunks"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="*", type=Path, help="folders to index (default: sample KB)")
    asyncio.run(main(parser.parse_args().paths))
