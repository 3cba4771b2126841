"""Hybrid search latency at scale, on real handbook text.

    .venv/bin/python benchmarks/hybrid_latency.py                      # 100k chunks
    .venv/bin/python benchmarks/hybrid_latency.py --chunks 100000 --against de925c4

The chunks of the quality benchmark's knowledge bases (run benchmarks/quality.py first) are
copied into a fresh embedded PostgreSQL until it holds `--chunks` chunks: each copy is a new
document with the same text and its embeddings nudged a little, so the keyword leg sees a
big wiki's word statistics (every word in 15x the chunks) and the vector leg a big wiki's
neighbours. Every question of benchmarks/questions then runs the store's candidate statement
(both legs, one SQL statement) and the whole `SearchStore.candidates` call (the misspelt-word
lookup, then that statement: what `deskmate ask` waits for besides the embedding): p50 / p95.
With `--against REV`, that git revision's candidate statement runs on the same data, the
two interleaved question by question, so the ratio is measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import time
from typing import Any

import numpy as np
import psycopg
from common import ROOT, bench_settings, describe_ms, machine, scratch_database
from pgvector.psycopg import register_vector

from bot.database import start_embedded
from bot.embeddings import make_embedder
from bot.models import EVERYONE
from bot.store import open_store
from bot.store.documents import ChunkRow, DocumentRow
from bot.store.search import CANDIDATES_SQL, candidate_params

QUALITY_PG = ROOT / "benchmarks" / "results" / "quality" / "pg"
QUESTIONS = ROOT / "benchmarks" / "questions"
NUDGE = 0.02
# The whole store call `deskmate ask` makes: the misspelt-word lookup, then the statement.
WHOLE = "now, SearchStore.candidates"


def real_documents() -> list[tuple[str, str, list[tuple[list[str], str, int | None, Any]]]]:
    """(path, title, chunks) of every document in the quality benchmark's databases."""
    url = start_embedded(QUALITY_PG)
    documents = []
    with psycopg.connect(url) as conn:
        names = [
            r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'kb_%'")
        ]
    for name in names:
        with psycopg.connect(psycopg.conninfo.make_conninfo(url, dbname=name)) as conn:
            register_vector(conn)
            rows = conn.execute(
                "SELECT d.path, d.title, c.heading_path, c.text, c.page, c.embedding::vector "
                "FROM chunks c JOIN documents d ON d.id = c.document_id ORDER BY d.id, c.ordinal"
            ).fetchall()
        by_path: dict[str, tuple[str, list[Any]]] = {}
        for path, title, headings, text, page, embedding in rows:
            by_path.setdefault(f"{name}/{path}", (title, []))[1].append(
                (headings, text, page, np.asarray(embedding, dtype=np.float32))
            )
        documents += [(path, title, chunks) for path, (title, chunks) in by_path.items()]
    return documents


async def fill(store: Any, documents: list[Any], target: int) -> int:
    rng = np.random.default_rng(1)
    written = copy = 0
    while written < target:
        for path, title, chunks in documents:
            rows = []
            for i, (headings, text, page, vector) in enumerate(chunks):
                nudged = vector + NUDGE * rng.standard_normal(vector.shape).astype(np.float32)
                rows.append(
                    ChunkRow(i, tuple(headings), text, page, nudged / np.linalg.norm(nudged))
                )
            row = DocumentRow(f"copy{copy}", path, title, None, None, (), "h", [EVERYONE], None)
            await store.documents.replace(row, rows)
            written += len(rows)
            if written >= target:
                break
        copy += 1
    await store.documents.refresh_lexeme_stats()
    async with store.pool.connection() as conn:
        await conn.execute("ANALYZE")
    return written


def statement_at(revision: str) -> str:
    source = subprocess.run(
        ["git", "show", f"{revision}:bot/store/search.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    namespace: dict[str, Any] = {"__name__": "search_at_" + revision}
    exec(compile(source, f"{revision}:bot/store/search.py", "exec"), namespace)  # noqa: S102
    return str(namespace["CANDIDATES_SQL"])


async def main(args: argparse.Namespace) -> None:
    print(f"machine: {machine()}")
    documents = real_documents()
    questions = [
        json.loads(line)["question"]
        for path in sorted(QUESTIONS.glob("*.jsonl"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    statements = {"now": CANDIDATES_SQL}
    if args.against:
        statements[args.against] = statement_at(args.against)
    with scratch_database() as (url, tmp):
        settings = bench_settings(url, tmp)
        embedder = make_embedder(settings)
        vectors = embedder.embed(questions)
        async with open_store(settings, dim=384, model=embedder.name) as store:
            started = time.perf_counter()
            total = await fill(store, documents, args.chunks)
            print(
                f"{total:,} chunks ({len(documents)} real documents copied) in "
                f"{time.perf_counter() - started:.0f}s; {len(questions)} questions x {args.rounds}"
            )
            seconds: dict[str, list[float]] = {label: [] for label in statements}
            seconds[WHOLE] = []
            for _ in range(args.rounds):
                for question, vector in zip(questions, vectors, strict=True):
                    for label, statement in statements.items():
                        values = candidate_params(question, vector, {EVERYONE}, 40, "vector")
                        async with store.pool.connection() as conn:
                            began = time.perf_counter()
                            await (await conn.execute(statement, values)).fetchall()
                            seconds[label].append(time.perf_counter() - began)
                    began = time.perf_counter()
                    await store.search.candidates(question, vector, {EVERYONE})
                    seconds[WHOLE].append(time.perf_counter() - began)
    for label, values in seconds.items():
        print(f"  {label:>40s}: {describe_ms(values)}")
    if args.against:
        now, then = np.percentile(seconds["now"], 95), np.percentile(seconds[args.against], 95)
        print(f"  p95 now / {args.against}: {now / then:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--against", help="a git revision whose candidate statement to compare")
    asyncio.run(main(parser.parse_args()))
