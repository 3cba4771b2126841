"""What a CLI user waits for: the wall time of one `deskmate ask --json` / `deskmate status
--json` call in a fresh process, with the torch backend (the old default) and the ONNX int8
one (the new default), measured in the same run, calls alternating; then the query embedding
p50 inside a warm process (what `deskmate serve` pays per question).

    .venv/bin/python benchmarks/cli_latency.py [--n 20]

The sample knowledge base is indexed once per backend into one embedded PostgreSQL (one
database each), which stays up: each call pays for Python, imports, settings, connecting and
the model, not for starting PostgreSQL. The disk cache is warm (one discarded call each).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time

import psycopg
from common import ROOT, bench_settings, describe_ms, machine, percentile, scratch_database
from psycopg.conninfo import make_conninfo

from adapters.runtime import open_runtime
from evaluation.answers import load_cases

BACKENDS = {"local-torch": "torch fp32", "local": "ONNX int8"}


def create_databases(url: str) -> dict[str, str]:
    urls = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for n, backend in enumerate(BACKENDS):
            conn.execute(f'CREATE DATABASE "cli_{n}"')
            urls[backend] = make_conninfo(url, dbname=f"cli_{n}")
    return urls


def call(args: list[str], backend: str, url: str, tmp: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKMATE_")}
    env |= {
        "DATABASE_URL": url,
        "DESKMATE_EMBEDDINGS": backend,
        "DESKMATE_DATA_DIR": tmp,
        "DESKMATE_MODEL_DIR": str(sys.prefix) + "/deskmate-models",
        "DESKMATE_SOURCES": str(ROOT / "examples" / "sources.yaml"),
        "DESKMATE_GROUPS": str(ROOT / "examples" / "groups.yaml"),
        "HF_HUB_OFFLINE": "1",
    }
    started = time.perf_counter()
    result = subprocess.run(
        [f"{sys.prefix}/bin/deskmate", *args], env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{args} with {backend} failed: {result.stderr[-500:]}")
    return elapsed


async def serve_p50(urls: dict[str, str], tmp: str, questions: list[str]) -> dict[str, float]:
    """Query embedding inside a warm process, as `Engine.answer` calls it in `serve`."""
    p50 = {}
    for backend, url in urls.items():
        settings = bench_settings(url, ROOT, embeddings=backend, data_dir=tmp)
        async with open_runtime(settings) as runtime:
            await runtime.warm_up()
            times = []
            for question in questions * 3:
                started = time.perf_counter()
                await asyncio.to_thread(runtime.embedder.embed, [question])
                times.append(time.perf_counter() - started)
            p50[backend] = percentile(times, 50)
            print(f"  {BACKENDS[backend]:10s} query embedding in-process: {describe_ms(times)}")
    return p50


async def index(urls: dict[str, str], tmp: str) -> None:
    for backend, url in urls.items():
        settings = bench_settings(url, ROOT, embeddings=backend, data_dir=tmp)
        async with open_runtime(settings) as runtime:
            await runtime.reindex("benchmark")


def main(n: int) -> None:
    print(f"machine: {machine()}")
    questions = [c.question for c in load_cases(ROOT / "examples" / "questions.jsonl")][:n]
    with scratch_database() as (url, tmp_path):
        tmp = str(tmp_path / "data")
        urls = create_databases(url)
        asyncio.run(index(urls, tmp))
        for backend, db in urls.items():  # warm the disk cache
            call(["ask", questions[0], "--json"], backend, db, tmp)
        times: dict[tuple[str, str], list[float]] = {}
        for question in questions:
            for backend, db in urls.items():
                ask = call(["ask", question, "--json"], backend, db, tmp)
                status = call(["status", "--json"], backend, db, tmp)
                times.setdefault(("ask", backend), []).append(ask)
                times.setdefault(("status", backend), []).append(status)
        print(f"per-call wall time, fresh process each, {len(questions)} calls per cell:")
        for command in ("ask", "status"):
            base = percentile(times[(command, "local-torch")], 50)
            for backend, label in BACKENDS.items():
                values = times[(command, backend)]
                print(
                    f"  deskmate {command:6s} {label:10s} {describe_ms(values)}  "
                    f"-> {percentile(values, 50) / base:.2f}x torch"
                )
        p50 = asyncio.run(serve_p50(urls, tmp, questions))
        print(f"  query embedding p50 ONNX int8 / torch: {p50['local'] / p50['local-torch']:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20, help="questions (calls per cell)")
    main(parser.parse_args().n)
