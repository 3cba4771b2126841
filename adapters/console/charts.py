"""Small charts as inline SVG, rendered on the server: no script, no front-end build."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT, GAP, WIDEST = 600, 140, 4, 40.0


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar and in its tooltip
    parts: tuple[tuple[float, str], ...]  # stacked (value, css class), bottom first


def bar_chart(bars: Sequence[Bar], title: str) -> Markup:
    """Stacked bars scaled to the largest total, each with a tooltip of its values."""
    if not bars:
        return Markup("")
    top = max(sum(v for v, _ in bar.parts) for bar in bars) or 1.0
    width = min(WIDEST, (WIDTH - GAP * len(bars)) / len(bars))
    shapes = []
    for i, bar in enumerate(bars):
        x, base = i * (width + GAP), HEIGHT - 20.0
        tip = escape(f"{bar.label}: " + ", ".join(f"{v:g} {c}" for v, c in bar.parts))
        shapes.append(f"<g><title>{tip}</title>")
        for value, css in bar.parts:
            h = (HEIGHT - 30) * value / top
            base -= h
            shapes.append(
                f'<rect class="{escape(css)}" x="{x:.1f}" y="{base:.1f}" '
                f'width="{width:.1f}" height="{h:.1f}"/>'
            )
        shapes.append(
            f'<text x="{x + width / 2:.1f}" y="{HEIGHT - 5}" text-anchor="middle">'
            f"{escape(bar.label)}</text></g>"
        )
    # every text in the markup went through `escape`; the numbers are formatted floats
    return Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}">{"".join(shapes)}</svg>'
    )
