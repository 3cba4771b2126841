"""Streaming-pipeline memory: peak RSS of indexing three corpora vs the smallest alone.

    .venv/bin/python benchmarks/stream_memory.py                 # hashing embedder
    .venv/bin/python benchmarks/stream_memory.py --embeddings local

Each measurement runs in a fresh process (peak RSS is per process) over its own embedded
PostgreSQL: the streaming pipeline (parent process, and the largest parse worker), and as the
baseline measured in the same run, what the pipeline did before it streamed: every document
of the sources held in one list before the first embedding (`list(load_source(...))`).
Target (issue 16): all three corpora at most 1.2x the smallest alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys

from common import ROOT, bench_settings, machine, scratch_database

from adapters.runtime import open_runtime
from indexer.pipeline import load_source
from indexer.records import Source

CORPUS = ROOT.parent / "shared" / "corpus"
SMALLEST = ["handbook-dxw-playbook"]
ALL = ["hyperledger-confluence-wiki-md", "handbook-18f-tts", "handbook-dxw-playbook"]


def _sources(names: list[str]) -> list[Source]:
    return [Source(name=n, kind="auto", path=(CORPUS / n).resolve()) for n in names]


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


async def _stream(names: list[str], embeddings: str) -> dict[str, float]:
    with scratch_database() as (url, tmp):
        async with open_runtime(bench_settings(url, tmp, embeddings=embeddings)) as runtime:
            await runtime.warm_up()
            summary = await runtime.index(_sources(names), "benchmark")
    return {
        "chunks": summary.chunks,
        "seconds": summary.seconds,
        "peak_mb": _peak_mb(resource.RUSAGE_SELF),
        "worker_peak_mb": _peak_mb(resource.RUSAGE_CHILDREN),
    }


def _listed(names: list[str]) -> dict[str, float]:
    documents = [item for source in _sources(names) for item in load_source(source)]
    return {"documents": len(documents), "peak_mb": _peak_mb(resource.RUSAGE_SELF)}


def _measure(mode: str, names: list[str], embeddings: str) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", mode, "--embeddings", embeddings, *names]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(embeddings: str) -> None:
    print(f"machine: {machine()}; embeddings: {embeddings}")
    for mode, label in (("stream", "streaming pipeline"), ("list", "baseline: whole list")):
        small = _measure(mode, SMALLEST, embeddings)
        every = _measure(mode, ALL, embeddings)
        print(f"{label}:")
        print(f"  {SMALLEST[0]} alone: {json.dumps(small)}")
        print(f"  all three:            {json.dumps(every)}")
        print(f"  peak RSS all three / smallest: {every['peak_mb'] / small['peak_mb']:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embeddings", default="fake", help="fake (default) or local")
    parser.add_argument("--child", choices=["stream", "list"], help=argparse.SUPPRESS)
    parser.add_argument("names", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "stream":
        print(json.dumps(asyncio.run(_stream(args.names, args.embeddings))))
    elif args.child == "list":
        print(json.dumps(_listed(args.names)))
    else:
        main(args.embeddings)
