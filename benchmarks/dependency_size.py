"""How much the `torch` extra adds to Deskmate's installed Python dependencies, from pip's
metadata (each installed distribution's RECORD): what the Docker image's runtime stage saves
by carrying only the ONNX export. Run in a virtualenv with `.[torch]` installed.

    .venv/bin/python benchmarks/dependency_size.py
"""

from __future__ import annotations

import importlib.metadata as md

from packaging.requirements import Requirement


def closure(requirements: list[str]) -> dict[str, md.Distribution]:
    """Every installed distribution the requirements pull in, transitively (extras included)."""
    seen: dict[str, md.Distribution] = {}
    stack = [(r, "") for r in requirements]
    while stack:
        text, extra = stack.pop()
        req = Requirement(text)
        if req.marker and not req.marker.evaluate({"extra": extra}):
            continue
        name = req.name.lower().replace("_", "-")
        if name in seen:
            continue
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        seen[name] = dist
        for sub in dist.requires or []:
            stack.extend((sub, e) for e in (req.extras or {""}))
    return seen


def size_mb(dist: md.Distribution) -> float:
    return sum(f.size or 0 for f in dist.files or []) / 1e6


def main() -> None:
    requires = md.distribution("deskmate").requires or []
    base = [r for r in requires if "extra ==" not in r]
    torch = [r.split(";")[0] for r in requires if 'extra == "torch"' in r]
    runtime, full = closure(base), closure(base + torch)
    small, large = sum(map(size_mb, runtime.values())), sum(map(size_mb, full.values()))
    print(f"runtime (deskmate): {len(runtime)} distributions, {small:,.0f} MB")
    print(f"with the torch extra: {len(full)} distributions, {large:,.0f} MB")
    print(f"difference: {large - small:,.0f} MB ({large / small:.1f}x); the largest additions:")
    extra = sorted((d for n, d in full.items() if n not in runtime), key=size_mb, reverse=True)
    for dist in extra[:8]:
        print(f"  {dist.metadata['Name']} {dist.version}: {size_mb(dist):,.1f} MB")


if __name__ == "__main__":
    main()
