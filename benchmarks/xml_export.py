"""Confluence XML export benchmark: peak memory and speed of the streaming `entities.xml` reader
on a large synthetic export, against loading the same file as one tree (the baseline).

    .venv/bin/python benchmarks/xml_export.py [--pages 20000] [--body-kb 4]

Each page has a historical version too, so the file holds twice the text that is indexed.
Each measurement runs in a fresh child process; peak RSS is its VmHWM (Linux).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, machine

sys.path.insert(0, str(ROOT))

from tests.confluence_xml_export import XmlExport

WORDS = [
    "policy",
    "employee",
    "leave",
    "travel",
    "expense",
    "approval",
    "manager",
    "payroll",
    "benefit",
    "holiday",
    "office",
    "laptop",
    "security",
    "access",
    "contract",
    "onboarding",
    "review",
    "budget",
    "training",
    "health",
    "insurance",
]

MEASURE = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
mode, root = sys.argv[1], Path(sys.argv[2])

def kb(field):  # VmHWM: this process image's own high-water mark (ru_maxrss keeps the parent's)
    lines = Path("/proc/self/status").read_text().splitlines()
    line = next(l for l in lines if l.startswith(field))
    return int(line.split()[1])

if mode == "stream":
    from indexer.loaders.confluence_xml import load_xml_export
    from indexer.records import LoadedDocument, Source
else:
    from lxml import etree
floor = kb("VmRSS")
started = time.perf_counter()
documents = 0
if mode == "stream":
    for item in load_xml_export(Source("bench", "confluence-xml", root), root):
        documents += isinstance(item, LoadedDocument)
else:
    tree = etree.parse(str(root / "entities.xml"), etree.XMLParser(huge_tree=True))
    documents = len(tree.getroot())
seconds = time.perf_counter() - started
print(json.dumps({"documents": documents, "seconds": seconds, "floor_mb": floor / 1024,
                  "peak_mb": kb("VmHWM") / 1024}))
"""


def body(rng: random.Random, kb: int) -> str:
    paragraphs = []
    while sum(len(p) for p in paragraphs) < kb * 1024:
        words = " ".join(rng.choice(WORDS) for _ in range(40))
        paragraphs.append(f"<p>{words}.</p>")
    return (
        "<h1>Overview</h1>"
        + "".join(paragraphs[: len(paragraphs) // 2])
        + '<ac:structured-macro ac:name="info"><ac:parameter ac:name="icon">true'
        "</ac:parameter><ac:rich-text-body>"
        + "".join(paragraphs[len(paragraphs) // 2 :])
        + "</ac:rich-text-body></ac:structured-macro>"
    )


def build(root: Path, pages: int, kb: int) -> int:
    rng = random.Random(15)
    export = XmlExport()
    export.space("1", "BIG", "Big space")
    for number in range(1, pages + 1):
        parent = str(max(1, number // 10)) if number > 1 else None
        export.page(str(number), f"Page {number}", body(rng, kb), space="1", parent=parent)
        export.page(
            f"{number}000000", f"Page {number}", body(rng, kb), space="1", original=str(number)
        )
    export.write(root)
    return (root / "entities.xml").stat().st_size


def measure(mode: str, root: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, mode, str(root), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, float] = json.loads(out.stdout)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=20_000)
    parser.add_argument("--body-kb", type=int, default=4)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="deskmate-xml-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        size = build(root, args.pages, args.body_kb)
        print(
            f"synthetic export: {args.pages} pages (+{args.pages} old versions), "
            f"entities.xml {size / 2**20:.0f} MB, built in {time.perf_counter() - started:.0f}s"
        )
        stream = measure("stream", root)
        tree = measure("tree", root)
    mb = size / 2**20
    grown = {name: f["peak_mb"] - f["floor_mb"] for name, f in (("stream", stream), ("tree", tree))}
    print(
        f"streaming reader   peak RSS {stream['peak_mb']:5.0f} MB, {grown['stream']:5.0f} MB above "
        f"its imports; {stream['seconds']:.1f}s, {mb / stream['seconds']:.1f} MB/s, "
        f"{stream['documents'] / stream['seconds']:.0f} pages/s ({int(stream['documents'])} pages)"
    )
    print(
        f"whole tree (lxml)  peak RSS {tree['peak_mb']:5.0f} MB, {grown['tree']:5.0f} MB above "
        f"its imports; parse only, {tree['seconds']:.1f}s"
    )
    print(f"memory growth, streaming / whole tree: {grown['stream'] / grown['tree']:.3f}")


if __name__ == "__main__":
    main()
