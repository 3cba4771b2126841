"""Plot p50/p95 query latency against corpus size from `scale.py --json` output.

    .venv/bin/python benchmarks/scale.py --json /tmp/scale.json
    .venv/bin/python benchmarks/plot_latency.py docs/benchmarks-latency.png /tmp/scale.json

`--custom` overlays a run with `--plan-cache-mode force_custom_plan` (vector only).
Several JSON files may be given: a later file's (size, type) figures replace an earlier one's,
so a re-run of the small sizes can be combined with a long 1M run.

Plots the store's own setting (hnsw.ef_search = 100): one panel unfiltered, one filtered by
audience; a line per column type and percentile, and the 50 ms aim.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

EF_SEARCH = 100
AIM_MS = 50


def series(results: list[dict[str, Any]], vector_type: str, groups: str, key: str) -> list[Any]:
    points = []
    for r in results:
        if r["vector_type"] != vector_type:
            continue
        for s in r["searches"]:
            if s["groups"] == groups and s["ef_search"] == EF_SEARCH:
                points.append((r["size"], s[key], s["recall"]))
    return sorted(points)


def plot(
    results: list[dict[str, Any]], out: Path, title: str, custom: list[dict[str, Any]]
) -> None:
    types = list(dict.fromkeys(r["vector_type"] for r in results))
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for ax, groups in zip(axes, ("unfiltered", "filtered"), strict=True):
        for vector_type, colour in zip(types, ("tab:blue", "tab:orange"), strict=False):
            for key, style in (("p50_ms", "-o"), ("p95_ms", "--s")):
                points = series(results, vector_type, groups, key)
                if points:
                    sizes, ms, _ = zip(*points, strict=True)
                    label = f"{vector_type} {key.split('_')[0]}"
                    ax.plot(sizes, ms, style, color=colour, label=label)
        for key, style in (("p50_ms", ":o"), ("p95_ms", ":s")):
            points = series(custom, "vector", groups, key)
            if points:
                sizes, ms, _ = zip(*points, strict=True)
                label = f"vector {key.split('_')[0]}, plan_cache_mode=force_custom_plan"
                ax.plot(sizes, ms, style, color="tab:green", label=label, markersize=4)
        aim = f"aim: p95 {AIM_MS} ms"
        ax.axhline(AIM_MS, color="grey", linewidth=0.8, linestyle=":", label=aim)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("chunks in the store")
        ax.set_title(
            "unfiltered" if groups == "unfiltered" else "filtered by audience (10% restricted)"
        )
        ax.grid(True, which="both", linewidth=0.3)
    axes[0].set_ylabel(f"top-10 latency, ms (hnsw.ef_search={EF_SEARCH})")
    axes[0].legend(fontsize=8)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="PNG to write")
    parser.add_argument("results", type=Path, nargs="+", help="JSON written by scale.py --json")
    parser.add_argument(
        "--custom", type=Path, help="scale.py --plan-cache-mode force_custom_plan JSON, overlaid"
    )
    parser.add_argument(
        "--title",
        default="Deskmate store search latency vs corpus size (2 cores, 24 GiB, embedded PG 18)",
    )
    args = parser.parse_args()
    merged: dict[tuple[int, str], dict[str, Any]] = {}
    for path in args.results:
        for r in json.loads(path.read_text()):
            merged[(r["size"], r["vector_type"])] = r
    custom = json.loads(args.custom.read_text()) if args.custom else []
    plot(list(merged.values()), args.out, args.title, custom)
