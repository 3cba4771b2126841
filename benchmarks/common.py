"""Shared set-up for the benchmarks: a throw-away embedded PostgreSQL and timing helpers."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from pgvector.psycopg import register_vector_async
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

ROOT = Path(__file__).resolve().parent.parent
MODELS = Path(sys.prefix) / "deskmate-models"  # the ONNX model `make install` exported
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from adapters.settings import AppSettings  # noqa: E402
from bot.database import start_embedded, stop_embedded  # noqa: E402


@contextmanager
def scratch_database() -> Iterator[tuple[str, Path]]:
    """A fresh embedded PostgreSQL in a temp dir: (url, temp dir). Deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="deskmate-bench-") as tmp:
        try:
            yield start_embedded(Path(tmp) / "pg"), Path(tmp)
        finally:
            stop_embedded(Path(tmp) / "pg")


def bench_settings(url: str, tmp: Path, **overrides: object) -> AppSettings:
    values: dict[str, object] = {
        "database_url": url,
        "data_dir": tmp / "data",
        "model_dir": MODELS,
        "sources_file": ROOT / "examples" / "sources.yaml",
        "groups_file": ROOT / "examples" / "groups.yaml",
        "tone_file": tmp / "none.yaml",
    }
    values.update(overrides)
    return AppSettings(_env_file=None, **values)  # type: ignore[call-arg]


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def describe_ms(values: Sequence[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms, "
        f"mean {statistics.fmean(ms):.1f} ms (n={len(ms)})"
    )


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


class Timer:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> Timer:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start


def server_processes(pgdata: Path) -> list[psutil.Process]:
    """The postmaster of the embedded server in `pgdata` and all its backends and workers."""
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return []
    try:
        postmaster = psutil.Process(int(pid_file.read_text().split()[0]))
        return [postmaster, *postmaster.children(recursive=True)]
    except (psutil.Error, ValueError):
        return []


def store_pool(
    url: str, ef_search: int = 100, plan_cache_mode: str | None = None
) -> AsyncConnectionPool:
    """An unopened pool configured like bot.store's (`hnsw.iterative_scan = relaxed_order`), with
    another `hnsw.ef_search` and optionally a `plan_cache_mode`; wrap it in `Store(pool, ...)`."""

    async def configure(conn: AsyncConnection) -> None:
        await register_vector_async(conn)
        await conn.execute("SET hnsw.iterative_scan = relaxed_order")
        await conn.execute(f"SET hnsw.ef_search = {int(ef_search)}")
        if plan_cache_mode:
            await conn.execute(f"SET plan_cache_mode = {plan_cache_mode}")
        await conn.commit()

    return AsyncConnectionPool(
        url, min_size=1, max_size=1, configure=configure, kwargs={"autocommit": True}, open=False
    )


@dataclass
class MemoryPeak:
    """Peak memory of the PostgreSQL server processes (and of this process) while sampled.

    `server_uss_mb` sums private (unique) memory of every server process; `server_rss_mb` sums
    resident memory, which counts each touched shared buffer once per process that touched it.
    """

    server_uss_mb: float = 0.0
    server_rss_mb: float = 0.0
    client_rss_mb: float = 0.0

    def describe(self) -> str:
        return (
            f"server peak USS sum {self.server_uss_mb:,.0f} MB, peak RSS sum "
            f"{self.server_rss_mb:,.0f} MB; benchmark process RSS {self.client_rss_mb:,.0f} MB"
        )


class MemorySampler:
    """Samples server and client memory every `interval` seconds in a thread while in use."""

    def __init__(self, pgdata: Path, interval: float = 0.5) -> None:
        self.pgdata = pgdata
        self.interval = interval
        self.peak = MemoryPeak()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        uss = rss = 0
        for process in server_processes(self.pgdata):
            try:
                info = process.memory_full_info()
            except psutil.Error:
                continue
            uss += info.uss
            rss += info.rss
        mb = 1024 * 1024
        self.peak.server_uss_mb = max(self.peak.server_uss_mb, uss / mb)
        self.peak.server_rss_mb = max(self.peak.server_rss_mb, rss / mb)
        self.peak.client_rss_mb = max(
            self.peak.client_rss_mb, psutil.Process().memory_info().rss / mb
        )

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> MemorySampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def exact_scan_seconds(
    url: str, queries: Sequence[Any], vector_type: str, groups: Sequence[str], k: int
) -> list[float]:
    """The store's top-k statement with index scans off: the exact-search baseline."""
    import psycopg
    from pgvector.psycopg import register_vector

    from bot.store.search import VECTOR_ONLY_SQL
    from bot.store.vectors import to_db_vector

    latencies = []
    with psycopg.connect(url, autocommit=True) as conn:
        register_vector(conn)
        conn.execute("SET enable_indexscan = off")
        for q in queries:
            params = {"emb": to_db_vector(q, vector_type), "groups": sorted(groups), "limit": k}
            started = time.perf_counter()
            conn.execute(VECTOR_ONLY_SQL, params).fetchall()
            latencies.append(time.perf_counter() - started)
    return latencies


async def retrieval_quality(
    runtime: Any, cases: Sequence[Any], k: int, mode: str = "hybrid"
) -> tuple[float, float]:
    """recall@k and MRR of the first expected source, retrieving as each case's asker."""
    from adapters.cli.evaluation import ranked_documents
    from bot.models import Asker
    from evaluation.answers import matches

    recalls, rrs = [], []
    for case in cases:
        groups = runtime.directory.groups_of(Asker(case.asker or "bench"))
        got = await runtime.engine.retriever.retrieve(case.question, groups, limit=k * 3, mode=mode)
        ranked = ranked_documents(got.chunks)
        hits = [i for i, d in enumerate(ranked, 1) if matches(case.expected_sources[0], d)]
        recalls.append(1.0 if hits and hits[0] <= k else 0.0)
        rrs.append(1 / hits[0] if hits else 0.0)
    return statistics.fmean(recalls), statistics.fmean(rrs)
