"""Draw the Teams app icons: `color.png` (192x192, full colour) and `outline.png` (32x32, white
on transparent), as the Teams app manifest requires.

Run: `.venv/bin/python deploy/teams/make_icons.py`

The mark is a speech bubble holding a document with a check: answers, with their sources.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
ACCENT = (37, 99, 235, 255)  # the manifest's accentColor, #2563EB
WHITE = (255, 255, 255, 255)
SCALE = 8  # draw large, then shrink: smooth edges without anti-aliasing support in ImageDraw


def draw_mark(size: int, background: tuple[int, int, int, int] | None) -> Image.Image:
    big = size * SCALE
    image = Image.new("RGBA", (big, big), background or (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    unit = big / 32
    line = max(1, round(2 * unit))
    # speech bubble
    pen.rounded_rectangle(
        (4 * unit, 5 * unit, 28 * unit, 23 * unit), radius=5 * unit, outline=WHITE, width=line
    )
    pen.polygon([(10 * unit, 22 * unit), (10 * unit, 28 * unit), (16 * unit, 22 * unit)], WHITE)
    # the document's lines
    for top in (10, 13.5):
        pen.line((10 * unit, top * unit, 22 * unit, top * unit), fill=WHITE, width=line)
    # the check: answered, with a source
    pen.line(
        [(11 * unit, 17 * unit), (14 * unit, 19.5 * unit), (20 * unit, 15.5 * unit)],
        fill=WHITE,
        width=line,
        joint="curve",
    )
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    color = Image.new("RGBA", (192, 192), ACCENT)
    mark = draw_mark(132, None)
    color.alpha_composite(mark, (30, 30))
    color.save(HERE / "color.png")
    draw_mark(32, None).save(HERE / "outline.png")


if __name__ == "__main__":
    main()
