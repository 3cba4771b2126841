"""Fusion and per-document cap variants, side by side, on the quality sets.

Fetches every question's candidates (both legs, both scores) once from the knowledge bases
that benchmarks/quality.py built and keeps, then ranks them with each variant exactly as
`SearchStore.search` does and scores the documents (and pages) of the top 5 passages: the
sources `deskmate ask --json --k 5` shows.

    .venv/bin/python benchmarks/fusion_sweep.py [--sets dxw,18f] [--split dev]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from collections.abc import Callable, Sequence

from common import bench_settings
from quality import DATA, Item, K, database_for, load_items

from adapters.runtime import open_runtime
from bot.citations import citations_for
from bot.models import EVERYONE, Chunk
from bot.ranking import Fusion, by_keyword, cap_per_document, fuse

Ranker = Callable[[Sequence[Chunk]], list[Chunk]]

VARIANTS: dict[str, Ranker] = {
    "vector only": lambda found: sorted(found, key=lambda c: -c.similarity),
    "keyword only (BM25F)": by_keyword,
    "RRF 1:1": lambda found: fuse(found, Fusion("rrf", keyword_weight=1.0)),
    "RRF 1:0.5": lambda found: fuse(found, Fusion("rrf", keyword_weight=0.5)),
    "RRF 1:0.3": lambda found: fuse(found, Fusion("rrf", keyword_weight=0.3)),
    "score 0.25 bm25": lambda found: fuse(found, Fusion(bm25_share=0.25, trust_coverage=False)),
    "score 0.4 bm25": lambda found: fuse(found, Fusion(bm25_share=0.4, trust_coverage=False)),
    "score 0.25 x coverage": lambda found: fuse(found, Fusion(bm25_share=0.25)),
    "score 0.4 x coverage": lambda found: fuse(found, Fusion(bm25_share=0.4)),
    "score 0.6 x coverage": lambda found: fuse(found, Fusion(bm25_share=0.6)),
}


def evaluate(item: Item, ranked: Sequence[Chunk], per_document: int) -> tuple[float, float, float]:
    sources = citations_for(cap_per_document(ranked, per_document, K))[:K]
    wanted = [e.split("#", 1)[0].lower() for e in item.expected]
    ranks = [i for i, s in enumerate(sources, 1) if any(w in s.path.lower() for w in wanted)]
    recall = len({w for w in wanted if any(w in s.path.lower() for s in sources)}) / len(wanted)
    pages = {(s.path.lower(), p) for s in sources for p in s.pages}
    page_hit = any(
        (e.split("#")[0].lower() in d and int(e.split("=")[1]) == p)
        for e in item.expected
        if "#page=" in e
        for d, p in pages
    )
    return recall, 1 / ranks[0] if ranks else 0.0, float(page_hit)


async def sweep(name: str, split: str, caps: Sequence[int]) -> None:
    settings = bench_settings(
        database_for(name), DATA, sources_file=DATA / "no-sources.yaml", data_dir=DATA / "data"
    )
    items = [i for i in load_items(name) if i.answerable and split in ("all", i.split)]
    async with open_runtime(settings) as runtime:
        found = []
        for item in items:
            vector = await runtime.engine.retriever.embed_query(item.question)
            found.append(await runtime.store.search.candidates(item.question, vector, {EVERYONE}))
    print(f"{name} ({len(items)} answerable, {split}):")
    for label, ranker in VARIANTS.items():
        for cap in caps:
            scores = [evaluate(i, ranker(f), cap) for i, f in zip(items, found, strict=True)]
            recall, mrr, pages = (statistics.fmean(s[j] for s in scores) for j in range(3))
            extra = f"  page recall@5 {pages:.3f}" if name == "contoso" else ""
            print(f"  {label:24s} cap {cap}: recall@5 {recall:.3f}  MRR {mrr:.3f}{extra}")


async def main(sets: Sequence[str], split: str, caps: Sequence[int]) -> None:
    for name in sets:
        await sweep(name, split, caps)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sets", default="dxw")
    parser.add_argument("--split", choices=("dev", "heldout", "all"), default="dev")
    parser.add_argument("--caps", default="1,2,3", help="per-document caps to try")
    args = parser.parse_args()
    caps = [int(c) for c in args.caps.split(",")]
    asyncio.run(main(args.sets.split(","), args.split, caps))
