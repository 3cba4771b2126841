"""Answer quality on real third-party handbooks, measured through what a user sees.

Each set is indexed the way `deskmate index PATH` does it (no sources.yaml) into its own
database of one persistent embedded PostgreSQL under `benchmarks/results/quality/`, so the
second run re-uses every embedding (unchanged documents are skipped by hash). Every question
then goes through `Engine.answer` with `top_k=5` and no LLM, exactly what
`deskmate ask --json --k 5` prints, and is scored on the sources of that answer:

- recall@5 / MRR: the expected document among the answer's sources (best first);
- page recall@5 (Contoso): the expected PDF page among the pages the sources list;
- refused: share of near-topic unanswerable questions answered "I don't know";
- answered: share of answerable questions that got an answer.

    .venv/bin/python benchmarks/quality.py                    # every set, hybrid, dev split
    .venv/bin/python benchmarks/quality.py --modes hybrid,vector,keyword --split all
    .venv/bin/python benchmarks/quality.py --sets dxw --split heldout --misses

Questions: `benchmarks/questions/<set>.jsonl` (our own text; `split` is dev or heldout) and
the public Contoso page-level set read from ../shared/corpus.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import ROOT, bench_settings, machine

from adapters.runtime import open_runtime
from bot.database import start_embedded
from bot.models import EVERYONE, Answer, Asker, Question
from indexer.sources import ad_hoc_source

CORPUS = ROOT.parent / "shared" / "corpus"
QUESTIONS = ROOT / "benchmarks" / "questions"
DATA = ROOT / "benchmarks" / "results" / "quality"
K = 5

SETS: dict[str, Path] = {
    "18f": CORPUS / "handbook-18f-tts",
    "dxw": CORPUS / "handbook-dxw-playbook",
    "basecamp": CORPUS / "handbook-basecamp",
    "hyperledger": CORPUS / "hyperledger-confluence-wiki-md" / "HYP",
    "contoso": CORPUS / "contoso-hr-benefits-rag-eval" / "data",
}


@dataclass(frozen=True)
class Item:
    question: str
    expected: tuple[str, ...]  # path fragments; for page-level items "file.pdf#page=N"
    answerable: bool
    split: str


@dataclass
class Scores:
    recall: list[float] = field(default_factory=list)
    rr: list[float] = field(default_factory=list)
    page_recall: list[float] = field(default_factory=list)
    answered: list[float] = field(default_factory=list)
    refused: list[float] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, float | int | None]:
        def mean(values: list[float]) -> float | None:
            return round(statistics.fmean(values), 3) if values else None

        ordered = sorted(self.latency_ms)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] if ordered else 0
        return {
            "answerable": len(self.recall),
            "recall@5": mean(self.recall),
            "mrr": mean(self.rr),
            "page_recall@5": mean(self.page_recall),
            "answered": mean(self.answered),
            "unanswerable": len(self.refused),
            "refused": mean(self.refused),
            "p95_ms": round(p95, 1),
        }


def load_items(name: str) -> list[Item]:
    if name == "contoso":
        truth = CORPUS / "contoso-hr-benefits-rag-eval" / "evals" / "ground_truth.jsonl"
        items = []
        for number, line in enumerate(truth.read_text(encoding="utf-8").splitlines()):
            if not line.strip():
                continue
            data = json.loads(line)
            pages = tuple(
                part.split("]")[0] for part in data["truth"].split("[")[1:] if "#page=" in part
            )
            # a fixed, question-independent split: every third question is held out
            split = "heldout" if number % 3 == 2 else "dev"
            items.append(Item(data["question"], pages, True, split))
        return items
    items = []
    for line in (QUESTIONS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            items.append(
                Item(
                    data["question"],
                    tuple(data.get("expected_sources") or ()),
                    bool(data.get("answerable", True)),
                    str(data.get("split", "dev")),
                )
            )
    return items


def database_for(name: str) -> str:
    """The URL of this set's database in the shared persistent server (created if missing)."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    url = start_embedded(DATA / "pg")
    database = f"kb_{name}"
    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
            conn.execute(f'CREATE DATABASE "{database}"')  # constant identifier
    return make_conninfo(url, dbname=database)


def score(item: Item, answer: Answer, scores: Scores) -> None:
    sources = list(answer.citations)[:K]
    if not item.answerable:
        scores.refused.append(0.0 if answer.answered else 1.0)
        if answer.answered:
            scores.misses.append(f"ANSWERED  {item.question}")
        return
    scores.answered.append(1.0 if answer.answered else 0.0)
    documents = [s.path.lower() for s in sources]
    wanted = [e.split("#", 1)[0].lower() for e in item.expected]
    ranks = [i for i, d in enumerate(documents, 1) if any(w in d for w in wanted)]
    scores.recall.append(len({w for w in wanted if any(w in d for d in documents)}) / len(wanted))
    scores.rr.append(1 / ranks[0] if ranks else 0.0)
    pages = [e for e in item.expected if "#page=" in e]
    if pages:
        shown = {(s.path.lower(), p) for s in sources for p in s.pages}
        hit = any(
            any(w.split("#")[0].lower() in d and int(w.split("=")[1]) == p for d, p in shown)
            for w in pages
        )
        scores.page_recall.append(1.0 if hit else 0.0)
        if not hit:
            got = ", ".join(f"{s.path}{list(s.pages)}" for s in sources)
            scores.misses.append(f"page miss  {item.question}  wanted {', '.join(pages)} -> {got}")
    if not ranks or ranks[0] > 1 or not answer.answered:
        got = ", ".join(f"{s.path}{list(s.pages) or ''}" for s in sources)
        flag = "" if answer.answered else " (refused)"
        scores.misses.append(f"rank {ranks[0] if ranks else '-'}{flag}  {item.question}  -> {got}")


async def signals(runtime: Any, item: Item) -> dict[str, float]:
    """The answerability signals of one question (for calibrating bot.answerability)."""
    from bot.ranking import fuse

    search = runtime.store.search
    vector = await runtime.engine.retriever.embed_query(item.question)
    found = await search.candidates(item.question, vector, {EVERYONE})
    ranked = fuse(found, query=item.question)
    by_vector = sorted(found, key=lambda c: -c.similarity)
    by_bm25 = sorted(found, key=lambda c: -c.bm25)
    return {
        "similarity": by_vector[0].similarity if by_vector else 0.0,
        "second": by_vector[1].similarity if len(by_vector) > 1 else 0.0,
        "coverage_top": ranked[0].coverage if ranked else 0.0,
        "coverage_best": max((c.coverage for c in ranked[:5]), default=0.0),
        "agree": float(
            bool(by_vector and by_bm25 and by_vector[0].document_id == by_bm25[0].document_id)
        ),
        "fused": ranked[0].score if ranked else 0.0,
    }


async def run_set(
    name: str,
    modes: Sequence[str],
    split: str,
    show: bool,
    features: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    url = database_for(name)
    DATA.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    items = [i for i in load_items(name) if split in ("all", i.split)]
    for mode in modes:
        settings = bench_settings(
            url,
            DATA,
            top_k=K,
            retrieval_mode=mode,
            sources_file=DATA / "no-sources.yaml",
            data_dir=DATA / "data",
        )
        async with open_runtime(settings) as runtime:
            if mode == modes[0]:
                started = time.perf_counter()
                source = ad_hoc_source(SETS[name], settings.store.data_dir / "extracted")
                summary = await runtime.index([source], "benchmark")
                total = sum(s.chunks for s in await runtime.store.stats())
                print(
                    f"{name}: {total} chunks; index run {time.perf_counter() - started:.1f}s "
                    f"({summary.embedded} embedded, {summary.failed} failed)"
                )
            by_split = {"dev": Scores(), "heldout": Scores()}
            everyone = frozenset({EVERYONE})
            for item in items:
                started = time.perf_counter()
                answer = await runtime.engine.answer(
                    Question(item.question, Asker("bench"), everyone, everyone)
                )
                by_split[item.split].latency_ms.append((time.perf_counter() - started) * 1000)
                score(item, answer, by_split[item.split])
                if features is not None and mode == "hybrid":
                    features.append({"set": name, **vars(item)} | await signals(runtime, item))
        for part, scores in by_split.items():
            if not scores.latency_ms:
                continue
            results[f"{mode} {part}"] = scores.figures()
            print(f"  {name:11s} {mode:8s} {part:7s} {json.dumps(results[f'{mode} {part}'])}")
            if show:
                for miss in scores.misses:
                    print(f"      {miss}")
    return results


async def main(
    sets: Sequence[str], modes: Sequence[str], split: str, show: bool, dump: Path | None
) -> None:
    print(f"machine: {machine()}; split={split}, k={K}, no LLM")
    everything = {}
    features: list[dict[str, Any]] | None = [] if dump else None
    for name in sets:
        everything[name] = await run_set(name, modes, split, show, features)
    if dump:
        dump.write_text(json.dumps(features, indent=1))
    out = DATA / f"figures-{split}.json"
    out.write_text(json.dumps(everything, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--modes", default="hybrid")
    parser.add_argument("--split", choices=("dev", "heldout", "all"), default="dev")
    parser.add_argument("--misses", action="store_true", help="print every miss")
    parser.add_argument("--signals", type=Path, help="write answerability signals here")
    args = parser.parse_args()
    asyncio.run(
        main(args.sets.split(","), args.modes.split(","), args.split, args.misses, args.signals)
    )
