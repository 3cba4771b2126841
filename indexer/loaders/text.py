"""Plain text: paragraphs kept as they are; a short first line is the title."""

from __future__ import annotations

from pathlib import Path

from indexer.loaders.decoding import read_text
from indexer.loaders.outline import Outline
from indexer.loaders.parsed import Parsed, require_text

MAX_TITLE_CHARS = 80


def parse(path: Path) -> Parsed:
    text = read_text(path)
    outline = Outline()
    for line in text.splitlines():
        outline.line(line)
    sections = require_text(outline.sections(), "file is empty")
    first_line = next(line.strip() for line in text.splitlines() if line.strip())
    title = first_line if len(first_line) < MAX_TITLE_CHARS else None
    return Parsed(title=title, sections=sections)
