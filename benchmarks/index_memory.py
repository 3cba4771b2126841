"""Peak memory of `deskmate index`: three corpora together vs the smallest of them alone.

    .venv/bin/python benchmarks/index_memory.py [--backend local|local-torch]

Each run is a fresh `deskmate index <folders> --json` process into its own database of one
embedded PostgreSQL; its resident memory, summed over the process and any children it starts
(a parse pool), is sampled every 0.1 s. The aim (with a streaming pipeline): the three together
at most 1.2x the smallest alone, i.e. memory independent of corpus size.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import psycopg
from common import ROOT, machine, scratch_database
from psycopg.conninfo import make_conninfo

CORPUS = ROOT.parent / "shared" / "corpus"
TOGETHER = ("hyperledger-confluence-wiki-md", "handbook-18f-tts", "handbook-dxw-playbook")
AIM = 1.2


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total


def index(folders: list[Path], url: str, tmp: Path, backend: str) -> tuple[float, dict[str, int]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKMATE_")}
    env |= {
        "DATABASE_URL": url,
        "DESKMATE_EMBEDDINGS": backend,
        "DESKMATE_DATA_DIR": str(tmp),
        "DESKMATE_MODEL_DIR": str(Path(sys.prefix) / "deskmate-models"),
        "HF_HUB_OFFLINE": "1",
    }
    command = [f"{sys.prefix}/bin/deskmate", "index", *map(str, folders), "--json"]
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    watched, peak = psutil.Process(child.pid), 0
    while child.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, tree_rss(watched))
        time.sleep(0.1)
    out, err = child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"deskmate index failed: {err.decode()[-500:]}")
    return peak / 1e6, json.loads(out)


def main(backend: str) -> None:
    folders = [CORPUS / name for name in TOGETHER]
    missing = [f for f in folders if not f.is_dir()]
    if missing:
        raise SystemExit(f"missing corpora: {', '.join(map(str, missing))}")
    smallest = min(folders, key=folder_mb)
    print(f"machine: {machine()}; backend {backend}")
    print("corpora: " + ", ".join(f"{f.name} {folder_mb(f):.1f} MB" for f in folders))
    with scratch_database() as (url, tmp):
        with psycopg.connect(url, autocommit=True) as conn:
            for name in ("mem_alone", "mem_together"):
                conn.execute(f'CREATE DATABASE "{name}"')
        runs = {}
        for label, chosen, db in (
            (f"{smallest.name} alone", [smallest], "mem_alone"),
            ("all three together", folders, "mem_together"),
        ):
            started = time.perf_counter()
            peak, summary = index(chosen, make_conninfo(url, dbname=db), tmp / db, backend)
            runs[label] = peak
            print(
                f"  {label}: peak RSS {peak:,.0f} MB; {summary['chunks']:,} chunks in "
                f"{time.perf_counter() - started:.0f}s"
            )
    ratio = runs["all three together"] / runs[f"{smallest.name} alone"]
    verdict = "met" if ratio <= AIM else "NOT met"
    print(f"together / smallest alone: {ratio:.2f}x (aim <= {AIM}x: {verdict})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default="local", help="DESKMATE_EMBEDDINGS for the runs")
    main(parser.parse_args().backend)
