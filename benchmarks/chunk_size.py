"""Chunk size benchmark: how many chunks the embedding model would truncate, and retrieval
quality on the sample question set, for several chunk sizes (characters).

    .venv/bin/python benchmarks/chunk_size.py [--sizes 400 800 1200 1600] [--corpus DIR ...]

all-MiniLM-L6-v2 reads at most 256 word pieces; anything longer is cut off before embedding.
The chunk text given to the model is the heading path plus the chunk (ChunkDraft.embed_text).
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import numpy as np
from common import ROOT, bench_settings, machine, retrieval_quality, scratch_database

from adapters.runtime import open_runtime
from bot.embeddings import _load_local_model
from evaluation.answers import load_cases
from indexer import pipeline
from indexer.chunking import CHUNK_OVERLAP, chunk_document
from indexer.pipeline import load_source
from indexer.records import LoadedDocument, Source
from indexer.sources import load_sources

K = 5


def documents(sources: list[Source]) -> list[LoadedDocument]:
    return [d for s in sources for d in load_source(s) if isinstance(d, LoadedDocument)]


def truncation(docs: list[LoadedDocument], size: int) -> tuple[int, float, int]:
    tokenizer = _load_local_model().tokenizer
    texts = [c.embed_text for d in docs for c in chunk_document(d, size, CHUNK_OVERLAP)]
    lengths = np.array([len(tokenizer(t)["input_ids"]) for t in texts])
    return len(texts), float(np.mean(lengths > 256)), int(np.percentile(lengths, 95))


async def quality(size: int) -> tuple[float, float]:
    original = pipeline.chunk_document
    pipeline.chunk_document = lambda d: original(d, size, min(CHUNK_OVERLAP, size // 4))  # type: ignore[assignment]
    try:
        with scratch_database() as (url, tmp):
            async with open_runtime(bench_settings(url, tmp)) as runtime:
                await runtime.reindex("benchmark")
                cases = [
                    c for c in load_cases(ROOT / "examples/questions.jsonl") if c.expected_sources
                ]
                return await retrieval_quality(runtime, cases, K)
    finally:
        pipeline.chunk_document = original


async def main(sizes: list[int], corpus: list[Path]) -> None:
    print(f"machine: {machine()}")
    sources = load_sources(ROOT / "examples" / "sources.yaml")
    sources += [Source(p.name, "auto", p.resolve()) for p in corpus]
    docs = documents(sources)
    print(
        f"{len(docs)} documents (sample KB{' + ' + ', '.join(map(str, corpus)) if corpus else ''})"
    )
    for size in sizes:
        count, truncated, p95 = truncation(docs, size)
        recall, mrr = await quality(size)
        print(
            f"  {size:5d} chars: {count:5d} chunks, {truncated:6.1%} over 256 word pieces "
            f"(p95 {p95} pieces); sample questions recall@{K} {recall:.3f}, MRR {mrr:.3f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[400, 800, 1200, 1600])
    parser.add_argument("--corpus", type=Path, nargs="*", default=[])
    args = parser.parse_args()
    asyncio.run(main(args.sizes, args.corpus))
