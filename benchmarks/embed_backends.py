"""The three local embedding backends side by side: torch fp32 (sentence-transformers, the old
default), ONNX fp32 and ONNX int8 (the default), all measured in the same run.

    .venv/bin/python benchmarks/embed_backends.py                 # all of it, ~15 min on 2 cores
    .venv/bin/python benchmarks/embed_backends.py --no-index-18f  # quality + speed only

1. Pure embedding: the same chunk texts (what the indexer embeds, from the 18F handbook)
   through each backend, rounds interleaved so background load hits them alike: chunks/s.
2. Single-query latency: each development question embedded alone (what `ask` and `serve`
   do per question): p50 / p95.
3. Retrieval quality: each question set indexed with each backend into a fresh embedded
   PostgreSQL, then recall@5 and MRR of the expected source, hybrid (what users get) and
   vector-only (the embedding alone). Sets: `examples/questions.jsonl` over `examples/kb`,
   the Contoso HR ground truth over its PDFs (expected source = the cited file), and the dev
   questions of every `benchmarks/questions/<set>.jsonl` (`--questions`) over its corpus.
   The gate: int8 within 1 % (absolute 0.01) of ONNX fp32 on both measures.
4. Indexing throughput (`Runtime.index`, chunks/s) of the 18F handbook and the Contoso PDFs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from common import MODELS, ROOT, Timer, bench_settings, machine, percentile, retrieval_quality
from common import scratch_database as scratch

from adapters.runtime import open_runtime
from bot.embeddings import Embedder, make_embedder
from evaluation.answers import Case, load_cases
from indexer.chunking import chunk_document
from indexer.pipeline import load_source
from indexer.records import LoadedDocument, Source

CORPUS = ROOT.parent / "shared" / "corpus"
CONTOSO = CORPUS / "contoso-hr-benefits-rag-eval"
HANDBOOK = CORPUS / "handbook-18f-tts"
BACKENDS = ("local-torch", "local-onnx-fp32", "local")
LABEL = {"local-torch": "torch fp32", "local-onnx-fp32": "ONNX fp32", "local": "ONNX int8"}
K = 5
QUESTION_CORPORA = {  # benchmarks/questions/<set>.jsonl -> the corpus it asks about
    "18f": CORPUS / "handbook-18f-tts",
    "dxw": CORPUS / "handbook-dxw-playbook",
    "basecamp": CORPUS / "handbook-basecamp",
    "hyperledger": CORPUS / "hyperledger-confluence-wiki-md" / "HYP",
}
GATE = 0.01


@dataclass(frozen=True)
class QuestionSet:
    name: str
    sources: tuple[Source, ...]
    cases: tuple[Case, ...]
    sources_file: Path | None = None  # for audiences (examples/sources.yaml)


def question_sets(questions: Path) -> list[QuestionSet]:
    examples = [c for c in load_cases(ROOT / "examples" / "questions.jsonl") if c.expected_sources]
    sets = [QuestionSet("examples", (), tuple(examples), ROOT / "examples" / "sources.yaml")]
    truth = CONTOSO / "evals" / "ground_truth.jsonl"
    if truth.exists():
        cases = []
        for line in truth.read_text().splitlines():
            row = json.loads(line)
            cited = re.findall(r"\[([^\]#]+?)(?:#[^\]]*)?\]", row["truth"])
            if cited:
                cases.append(Case(row["question"], expected_sources=(cited[0],)))
        sets.append(
            QuestionSet("contoso", (Source("contoso", "auto", CONTOSO / "data"),), tuple(cases))
        )
    for path in sorted(questions.glob("*.jsonl")):
        folder = QUESTION_CORPORA.get(path.stem, CORPUS / path.stem)
        if folder.is_dir():
            rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            cases = [
                Case(r["question"], expected_sources=tuple(r["expected_sources"]))
                for r in rows
                if r.get("expected_sources") and r.get("split", "dev") == "dev"
            ]
            sets.append(QuestionSet(path.stem, (Source(path.stem, "auto", folder),), tuple(cases)))
    return sets


def chunk_texts(folder: Path, limit: int) -> list[str]:
    texts: list[str] = []
    for item in load_source(Source(folder.name, "auto", folder)):
        if isinstance(item, LoadedDocument):
            texts.extend(c.embed_text for c in chunk_document(item))
        if len(texts) >= limit:
            break
    return texts[:limit]


def speed(
    embedders: dict[str, Embedder], texts: list[str], questions: list[str], rounds: int
) -> None:
    print(
        f"\n1-2. pure embedding of {len(texts)} chunks x {rounds} rounds (interleaved); "
        f"single-query latency over {len(questions)} questions"
    )
    seconds: dict[str, list[float]] = {b: [] for b in embedders}
    single: dict[str, list[float]] = {b: [] for b in embedders}
    for _ in range(rounds):
        for backend, embedder in embedders.items():
            with Timer() as spent:
                embedder.embed(texts)
            seconds[backend].append(spent.seconds)
            for question in questions:
                with Timer() as one:
                    embedder.embed([question])
                single[backend].append(one.seconds)
    base = statistics.median(seconds["local-torch"])
    base_q = percentile(single["local-torch"], 50)
    for backend in embedders:
        s = statistics.median(seconds[backend])
        q50, q95 = percentile(single[backend], 50), percentile(single[backend], 95)
        print(
            f"  {LABEL[backend]:10s} {len(texts) / s:7.1f} chunks/s ({base / s:4.2f}x torch)   "
            f"query p50 {q50 * 1000:6.1f} ms ({q50 / base_q:4.2f}x torch), "
            f"p95 {q95 * 1000:6.1f} ms"
        )


async def quality(backend: str, qset: QuestionSet) -> tuple[dict[str, tuple[float, float]], float]:
    with scratch() as (url, tmp):
        overrides: dict[str, object] = {"embeddings": backend}
        if qset.sources_file:
            overrides["sources_file"] = qset.sources_file
        async with open_runtime(bench_settings(url, tmp, **overrides)) as runtime:
            await runtime.warm_up()
            if qset.sources:
                summary = await runtime.index(list(qset.sources), "benchmark")
            else:
                summary = await runtime.reindex("benchmark")
            figures = {
                mode: await retrieval_quality(runtime, qset.cases, K, mode)
                for mode in ("hybrid", "vector")
            }
            return figures, summary.chunks / summary.seconds


async def indexing(backend: str, folder: Path) -> tuple[int, float]:
    with scratch() as (url, tmp):
        async with open_runtime(bench_settings(url, tmp, embeddings=backend)) as runtime:
            await runtime.warm_up()
            s = await runtime.index([Source(folder.name, "auto", folder)], "benchmark")
            return s.chunks, s.chunks / s.seconds


def gate(results: dict[str, dict[str, tuple[float, float]]], mode: str) -> str:
    if "local-onnx-fp32" not in results or "local" not in results:
        return "(the gate needs both ONNX backends)"
    fp32, int8 = results["local-onnx-fp32"][mode], results["local"][mode]
    deltas = (int8[0] - fp32[0], int8[1] - fp32[1])
    verdict = "within" if all(d >= -GATE for d in deltas) else "NOT within"
    return f"int8 - fp32: recall {deltas[0]:+.3f}, MRR {deltas[1]:+.3f} ({verdict} {GATE})"


async def main(args: argparse.Namespace) -> None:
    print(f"machine: {machine()}")
    settings = bench_settings("", ROOT)  # only the model cache and thread settings are used
    embedders = {b: make_embedder(settings.replace(embeddings=b)) for b in BACKENDS}
    for embedder in embedders.values():
        embedder.embed(["warm up"])
    sets = question_sets(args.questions)
    questions = [c.question for s in sets for c in s.cases][: args.queries]
    texts = chunk_texts(HANDBOOK if HANDBOOK.is_dir() else ROOT / "examples" / "kb", args.chunks)
    if args.chunks:
        speed(embedders, texts, questions, args.rounds)

    print(f"\n3. retrieval quality, recall@{K} / MRR of the expected source")
    for qset in sets:
        if args.sets and qset.name not in args.sets:
            continue
        results = {}
        for backend in args.backends:
            results[backend], rate = await quality(backend, qset)
            figures = "   ".join(f"{m} {r:.3f} / {q:.3f}" for m, (r, q) in results[backend].items())
            print(
                f"  {qset.name:12s} ({len(qset.cases):3d} q) {LABEL[backend]:10s} {figures}"
                f"   (indexed at {rate:.1f} chunks/s)"
            )
        for mode in ("hybrid", "vector"):
            print(f"  {qset.name:12s} {mode}: {gate(results, mode)}")

    if args.sweep:
        batch_sweep(texts, args.rounds)

    if args.index_18f and HANDBOOK.is_dir():
        print("\n4. indexing throughput (Runtime.index into a fresh database)")
        for folder in (HANDBOOK, CONTOSO / "data"):
            rates = {}
            for backend in BACKENDS:
                chunks, rates[backend] = await indexing(backend, folder)
            print(
                f"  {folder.name}: {chunks} chunks; "
                + ", ".join(
                    f"{LABEL[b]} {r:.1f} chunks/s ({r / rates['local-torch']:.2f}x)"
                    for b, r in rates.items()
                )
            )


def batch_sweep(texts: list[str], rounds: int) -> None:
    """ONNX int8 at several batch sizes and thread counts on the same texts, interleaved."""
    from bot.onnx_embedder import OnnxEmbedder

    cases = [(b, t) for t in (1, 2) for b in (8, 16, 32, 64, 128)]
    embedders = {c: OnnxEmbedder(MODELS, "int8", threads=c[1], batch_size=c[0]) for c in cases}
    seconds: dict[tuple[int, int], list[float]] = {c: [] for c in cases}
    for _ in range(rounds):
        for case, embedder in embedders.items():
            with Timer() as spent:
                embedder.embed(texts)
            seconds[case].append(spent.seconds)
    print(f"\n5. ONNX int8 batch size and threads, {len(texts)} chunks x {rounds} rounds")
    for (batch, threads), values in seconds.items():
        print(f"  batch {batch:3d}, {threads} thread(s): {len(texts) / min(values):6.1f} chunks/s")


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=384, help="chunks for pure embedding")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--no-index-18f", dest="index_18f", action="store_false")
    parser.add_argument(
        "--backends",
        nargs="+",
        default=list(BACKENDS),
        help="backends for the quality runs (ONNX fp32 vectors equal torch's: cosine 1.0000)",
    )
    parser.add_argument("--sets", nargs="*", help="only these question sets")
    parser.add_argument(
        "--questions",
        type=Path,
        default=ROOT / "benchmarks" / "questions",
        help="folder of <set>.jsonl question files (dev split used)",
    )
    parser.add_argument("--sweep", action="store_true", help="batch sizes x threads (int8)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
