"""Shared set-up for the benchmarks: a throw-away embedded PostgreSQL and timing helpers."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.database import start_embedded, stop_embedded  # noqa: E402
from bot.settings import Settings  # noqa: E402


@contextmanager
def scratch_database() -> Iterator[tuple[str, Path]]:
    """A fresh embedded PostgreSQL in a temp dir: (url, temp dir). Deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="deskmate-bench-") as tmp:
        try:
            yield start_embedded(Path(tmp) / "pg"), Path(tmp)
        finally:
            stop_embedded(Path(tmp) / "pg")


def bench_settings(url: str, tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": url,
        "data_dir": tmp / "data",
        "sources_file": ROOT / "examples" / "sources.yaml",
        "groups_file": ROOT / "examples" / "groups.yaml",
        "tone_file": tmp / "none.yaml",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


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
