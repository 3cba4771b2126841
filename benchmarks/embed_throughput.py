"""Embedding throughput of the local model, and what the indexer adds on top of it.

    .venv/bin/python benchmarks/embed_throughput.py              # 18F + Basecamp handbooks
    .venv/bin/python benchmarks/embed_throughput.py ../shared/corpus/handbook-basecamp

1. Load and chunk the folders with the indexer's own loaders and chunker (CHUNK_SIZE 800
   characters, 120 overlap) and embed the texts the indexer would embed (heading path + chunk)
   with `TorchEmbedder` (all-MiniLM-L6-v2, batch 64, CPU): pure embedding time, chunks/s.
   Also the full-size chunks alone (at least 700 characters), which are the slowest to embed.
2. Run the real indexer (`Runtime.index`) over the same folders into a fresh embedded
   PostgreSQL: load + chunk + embed + embedding cache + binary COPY + run bookkeeping.
3. Embed the same texts again, once in the groups the indexer embeds them in (whole documents
   until >= 256 chunks: sentence-transformers sorts by length only within a call, so smaller
   calls pad more) and once all at once, so background load during the run is averaged out;
   the indexer's total is compared against the mean of the two all-at-once runs.
The aim: the indexer's total within 15% of pure embedding time. The model is loaded and warmed
up before anything is timed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
from pathlib import Path

from common import ROOT, Timer, bench_settings, machine, scratch_database

from adapters.runtime import open_runtime
from bot.embeddings import TorchEmbedder
from indexer.chunking import CHUNK_OVERLAP, CHUNK_SIZE, chunk_document
from indexer.pipeline import BATCH_CHUNKS, load_source
from indexer.records import LoadedDocument, Source

CORPUS = ROOT.parent / "shared" / "corpus"
DEFAULT = ("handbook-18f-tts", "handbook-basecamp")
AIM = 0.15
FULL_SIZE = 700


def default_sources() -> list[Source]:
    if all((CORPUS / name).is_dir() for name in DEFAULT):
        return [Source(name, "auto", CORPUS / name) for name in DEFAULT]
    kb = ROOT / "examples" / "kb"
    return [Source(p.name, "auto", p) for p in sorted(kb.iterdir()) if p.is_dir()]


def embed_texts(sources: list[Source]) -> tuple[list[str], list[int], list[list[str]]]:
    """What the indexer embeds: each chunk's heading path + text; the chunk lengths; and the
    texts grouped as the indexer groups them (whole documents until >= BATCH_CHUNKS chunks,
    duplicates embedded once per group)."""
    texts, lengths, groups, group = [], [], [], []
    for source in sources:
        for item in load_source(source):
            if isinstance(item, LoadedDocument):
                for chunk in chunk_document(item):
                    texts.append(chunk.embed_text)
                    lengths.append(len(chunk.text))
                    group.append(chunk.embed_text)
                if len(group) >= BATCH_CHUNKS:
                    groups.append(list(dict.fromkeys(group)))
                    group = []
        if group:
            groups.append(list(dict.fromkeys(group)))
            group = []
    return texts, lengths, groups


def pure(embedder: TorchEmbedder, texts: list[str], label: str) -> float:
    with Timer() as spent:
        embedder.embed(texts)
    print(
        f"  {label}: {len(texts):,} chunks in {spent.seconds:.1f}s -> "
        f"{len(texts) / spent.seconds:.1f} chunks/s"
    )
    return spent.seconds


async def indexer_run(sources: list[Source]) -> tuple[float, float, float, int, int]:
    with scratch_database() as (url, tmp):
        async with open_runtime(bench_settings(url, tmp, embeddings="local-torch")) as runtime:
            await runtime.warm_up()
            s = await runtime.index(sources, "benchmark")
    other = s.seconds - s.embed_seconds - s.store_seconds
    print(
        f"  indexer (Runtime.index): {s.chunks:,} chunks ({s.embedded:,} embedded, {s.cached:,} "
        f"from cache) in {s.seconds:.1f}s -> {s.chunks / s.seconds:.1f} chunks/s; embedding "
        f"{s.embed_seconds:.1f}s, store {s.store_seconds:.1f}s, load+chunk+other {other:.1f}s"
    )
    return s.seconds, s.embed_seconds, s.store_seconds, s.chunks, s.embedded


async def main(paths: list[Path]) -> None:
    import torch

    print(
        f"machine: {machine()}; torch {torch.__version__} with {torch.get_num_threads()} "
        f"threads (OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')})"
    )
    sources = [Source(p.name, "auto", p.resolve()) for p in paths] or default_sources()
    with Timer() as chunking:
        texts, lengths, groups = embed_texts(sources)
    full = [t for t, n in zip(texts, lengths, strict=True) if n >= FULL_SIZE]
    print(
        f"sources: {', '.join(s.name for s in sources)}; {len(texts):,} chunks "
        f"(CHUNK_SIZE {CHUNK_SIZE}, overlap {CHUNK_OVERLAP}); chunk text length mean "
        f"{statistics.fmean(lengths):.0f}, median {statistics.median(lengths):.0f}, "
        f"{len(full):,} chunks >= {FULL_SIZE} chars; load+chunk {chunking.seconds:.1f}s"
    )
    embedder = TorchEmbedder()
    embedder.load()
    embedder.embed(texts[:64])  # warm-up
    first = pure(embedder, texts, "pure embedding, all chunks")
    pure(embedder, full, f"pure embedding, full-size chunks (>= {FULL_SIZE} chars)")
    total, embed_s, store_s, chunks, embedded = await indexer_run(sources)
    with Timer() as grouped:
        for group in groups:
            embedder.embed(group)
    print(
        f"  pure embedding in the indexer's groups ({len(groups)} calls of >= {BATCH_CHUNKS} "
        f"chunks): {grouped.seconds:.1f}s -> {len(texts) / grouped.seconds:.1f} chunks/s"
    )
    second = pure(embedder, texts, "pure embedding again, all chunks")
    baseline = (first + second) / 2
    overhead = total / baseline - 1
    print(
        f"indexer total {total:.1f}s vs pure embedding {baseline:.1f}s (mean of "
        f"{first:.1f}s and {second:.1f}s): {total / baseline:.2f}x, overhead {overhead:+.1%} "
        f"-> aim (within {AIM:.0%}) {'met' if overhead <= AIM else 'NOT met'}"
    )
    print(
        f"  store share of the indexer run {store_s / total:.1%}; the indexer's own embedding "
        f"step {embed_s:.1f}s is {embed_s / baseline:.2f}x the pure time and "
        f"{embed_s / grouped.seconds:.2f}x pure embedding in the same groups; indexer total vs "
        f"pure embedding in the same groups: {total / grouped.seconds - 1:+.1%}"
    )
    if embedded != chunks:
        print(f"  note: {chunks - embedded} chunks were duplicates served from the cache")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="*", type=Path, help="folders (default: 18F + Basecamp)")
    asyncio.run(main(parser.parse_args().paths))
