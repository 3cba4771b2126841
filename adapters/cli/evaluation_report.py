"""A self-contained HTML page for `deskmate eval --report`: summary, per-question table and a
latency histogram drawn as inline SVG (no scripts, no external files)."""

from __future__ import annotations

from html import escape

from evaluation.answers import Outcome, Summary

BINS = 12


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _histogram(latencies: list[float]) -> str:
    if not latencies:
        return ""
    top = max(latencies) or 1.0
    width = top / BINS
    counts = [0] * BINS
    for value in latencies:
        counts[min(BINS - 1, int(value / width))] += 1
    tallest = max(counts) or 1
    bars = []
    for i, count in enumerate(counts):
        height = 150 * count / tallest
        x = 40 + i * 45
        bars.append(
            f'<rect x="{x}" y="{170 - height:.1f}" width="40" height="{height:.1f}" '
            f'fill="#4a7bd0"><title>{count} answers</title></rect>'
            f'<text x="{x + 20}" y="188" font-size="10" text-anchor="middle">'
            f"{(i + 1) * width:.0f}</text>"
        )
    return (
        f'<svg width="{60 + BINS * 45}" height="205" role="img" '
        'aria-label="latency histogram">'
        + "".join(bars)
        + '<text x="40" y="202" font-size="11">latency (ms, bin upper bound)</text></svg>'
    )


def _row(o: Outcome) -> str:
    status = "✅" if (o.case.answerable == o.answered) and not o.leaks else "❌"
    return (
        "<tr>"
        f"<td>{status}</td><td>{escape(o.case.question)}</td>"
        f"<td>{escape(o.case.asker or '')}</td>"
        f"<td>{escape(', '.join(o.case.expected_sources))}</td>"
        f"<td>{escape(', '.join(d.split(' ', 1)[0] for d in o.ranked[:5]))}</td>"
        f"<td>{_fmt(o.recall)}</td><td>{_fmt(o.reciprocal_rank)}</td>"
        f"<td>{'yes' if o.answered else 'no'}</td><td>{len(o.leaks)}</td>"
        f"<td>{o.latency_ms:.0f}</td>"
        "</tr>"
    )


def render(summary: Summary, k: int) -> str:
    figures = "".join(
        f"<tr><th>{escape(name)}</th><td>{_fmt(value)}</td></tr>"
        for name, value in summary.as_dict().items()
    )
    rows = "".join(_row(o) for o in summary.outcomes)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Deskmate evaluation</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:13px}}</style></head>
<body><h1>Deskmate evaluation (k={k})</h1>
<table>{figures}</table>
<h2>Latency</h2>{_histogram([o.latency_ms for o in summary.outcomes])}
<h2>Questions</h2>
<table><tr><th></th><th>question</th><th>asker</th><th>expected</th><th>retrieved (top 5)</th>
<th>recall@{k}</th><th>RR</th><th>answered</th><th>leaks</th><th>ms</th></tr>{rows}</table>
</body></html>
"""
