"""Bad-input benchmark: what hostile files cost a run, and how fast a zip bomb is refused.

    .venv/bin/python benchmarks/bad_input.py            # 60 files of handbook-dxw-playbook
    .venv/bin/python benchmarks/bad_input.py --n 150 --embeddings local

Indexes N good files alone, then the same N plus a set of bad files (50,000 nested divs, a
copy-protected PDF with NUL text, random bytes as PDF and DOCX, a truncated DOCX, an encrypted
PDF, a 200 KB single line, a 300 MB sparse file, a link out of the folder), alternating twice
and keeping each one's best time, with the embedding cache emptied before every run. Then
refuses a 2 MB zip of 2 GiB of zeros and prints how long that took and what it wrote.
The hashing embedder is the default so the figures are the indexer's own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import time
from pathlib import Path

from common import ROOT, bench_settings, machine, scratch_database

from adapters.runtime import Runtime, open_runtime
from bot.errors import ConfigError
from indexer.limits import Limits
from indexer.pipeline import RunSummary
from indexer.records import Source
from indexer.sources import ad_hoc_source
from tests.fixtures.hostile import copy_protected_pdf, deep_html, zip_bomb

CORPUS = ROOT.parent / "shared" / "corpus"
GOOD = CORPUS / "handbook-dxw-playbook"
SHARED_BAD = CORPUS / "pdf-docx-policy-samples" / "edge-cases"


def good_files(target: Path, n: int) -> None:
    files = sorted(GOOD.rglob("*.md"))[:n] if GOOD.is_dir() else []
    if not files:
        files = sorted((ROOT / "tests" / "fixtures" / "files").iterdir())
    target.mkdir(parents=True)
    for number, path in enumerate(files):
        shutil.copy(path, target / f"{number:04d}-{path.name}")


def bad_files(target: Path, outside: Path) -> int:
    deep_html(target / "deep.html", depth=50_000)
    copy_protected_pdf(target / "copy-protected.pdf", "Expense claims are due in 30 days.")
    (target / "random.pdf").write_bytes(os.urandom(64 * 1024))
    (target / "random.docx").write_bytes(os.urandom(64 * 1024))
    docx = (ROOT / "tests" / "fixtures" / "files" / "equipment-catalogue.docx").read_bytes()
    (target / "truncated.docx").write_bytes(docx[: len(docx) // 2])
    (target / "huge-line.md").write_text("# One line\n\n" + "word " * 40_000)  # 200 KB
    with (target / "huge.pdf").open("wb") as sparse:
        sparse.truncate(300 * 1024 * 1024)  # sparse: takes no disk, is over the 200 MB limit
    outside.mkdir(exist_ok=True)
    (outside / "secret.md").write_text("# Secret\n\nNot part of the source.")
    (target / "link-out.md").symlink_to(outside / "secret.md")
    count = 9
    for name in ("copy-protected.pdf", "password.pdf"):
        if (SHARED_BAD / name).is_file():
            shutil.copy(SHARED_BAD / name, target / f"shared-{name}")
            count += 1
    return count


async def timed_run(runtime: Runtime, name: str, root: Path) -> RunSummary:
    async with runtime.store.pool.connection() as conn:
        await conn.execute("DELETE FROM embedding_cache")
        await conn.execute("DELETE FROM documents WHERE source = %s", (name,))
    return await runtime.index([Source(name=name, kind="files", path=root)], "benchmark")


def report(label: str, s: RunSummary) -> None:
    print(
        f"{label}: {s.seconds:.2f}s, added {s.added}, chunks {s.chunks} "
        f"({s.chunks_per_second:.0f} chunks/s), failed {s.failed}, skipped {s.skipped}"
    )


async def index_runs(tmp: Path, url: str, n: int, embeddings: str) -> None:
    good, mixed = tmp / "good", tmp / "mixed"
    good_files(good, n)
    shutil.copytree(good, mixed)
    bad = bad_files(mixed, tmp / "outside")
    settings = bench_settings(url, tmp, embeddings=embeddings)
    async with open_runtime(settings) as runtime:
        await runtime.warm_up()
        best: dict[str, RunSummary] = {}
        for _ in range(2):
            for label, root in (("good", good), ("mixed", mixed)):
                summary = await timed_run(runtime, label, root)
                if label not in best or summary.seconds < best[label].seconds:
                    best[label] = summary
    report(f"{n} good files alone", best["good"])
    report(f"{n} good files + {bad} bad ones", best["mixed"])
    print(f"  mixed / good time: {best['mixed'].seconds / best['good'].seconds:.2f}x")
    for error in best["mixed"].errors + best["mixed"].skipped_files:
        print(f"  {error.path}: {error.reason}")


def zip_bomb_refusal(tmp: Path) -> None:
    bomb = zip_bomb(tmp / "bomb.zip", gib=2)
    extract = tmp / "extracted"
    started = time.perf_counter()
    try:
        ad_hoc_source(bomb, extract, Limits())
        outcome = "EXTRACTED (not refused)"
    except ConfigError as exc:
        outcome = f"refused: {exc}"
    ms = (time.perf_counter() - started) * 1000
    written = sum(p.stat().st_size for p in extract.rglob("*") if p.is_file())
    print(f"zip bomb ({bomb.stat().st_size / 1e6:.1f} MB holding 2 GiB): {outcome}")
    print(f"  in {ms:.1f} ms; bytes written under the extraction folder: {written}")


async def main(n: int, embeddings: str) -> None:
    print(f"machine: {machine()}")
    logging.getLogger("indexer").setLevel(logging.ERROR)  # the failures are printed below
    with scratch_database() as (url, tmp):
        await index_runs(tmp, url, n, embeddings)
        zip_bomb_refusal(tmp)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=60, help="good files (default 60)")
    parser.add_argument("--embeddings", default="fake", help="fake (default) or local")
    args = parser.parse_args()
    asyncio.run(main(args.n, args.embeddings))
