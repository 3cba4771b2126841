"""Headings in a PDF's text layer, which has none marked: PDFs exported from Word or a wiki
keep their headings only as short lines.

A line is taken for a heading when it stands apart from the prose around it: short, not
a bullet or a label ("Responsibilities:"), not ending a sentence, with the line before it
ending one (or being a heading, or the top of a page) and the line after it starting a new
one; and when it reads like a heading: in Title Case or capitals ("Balance Billing
Protection", "HOW PROVIDERS AFFECT YOUR COSTS"), or a short question ("What is balance
billing?", a FAQ's level below). A heading right under another one, with no text between,
is one level deeper.

Headings carry across page breaks: the text at the top of page 8 still belongs to the section
that began on page 7, and says so in its heading path, while its chunks cite page 8.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from indexer.loaders.outline import Outline
from indexer.records import Section

MAX_HEADING_CHARS = 80
MAX_HEADING_WORDS = 12
TITLE_LEVEL = 1
QUESTION_LEVEL = 2
MAX_HEADING_RUN = 3  # more short lines in a row than this are a list or a table of contents
# Words a Title Case heading leaves in lower case ("Benefits for Out-of-Network Providers").
SMALL_WORDS = frozenset(
    {"a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "is", "nor", "of"}
    | {"on", "or", "our", "per", "the", "to", "via", "vs", "with", "your"}
)
_BULLET = re.compile(r"^([•·▪◦●○■□➢►✓*\-–—o]\s|\(?[0-9ivx]{1,3}[).]\s+[a-z])")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*")
_SENTENCE_END = (".", "!", "?", ":", ";", '."', ".”", ")")


def sections_of(pages: Iterable[tuple[int, Sequence[str]]]) -> tuple[Section, ...]:
    """Sections with heading paths from the text lines of each page (number, lines)."""
    outline = Outline()
    for number, lines in pages:
        outline.page(number)
        levels = [
            heading_level(
                line, lines[i - 1] if i else None, lines[i + 1] if i + 1 < len(lines) else None
            )
            for i, line in enumerate(lines)
        ]
        start = 0
        while start < len(lines):
            end = start + 1
            while end < len(lines) and (levels[start] is None) == (levels[end] is None):
                end += 1
            run = range(start, end)
            first = levels[start]
            if first is None or len(run) > MAX_HEADING_RUN:  # prose, or a list of short lines
                for i in run:
                    outline.line(lines[i])
            else:  # each heading right under the one before is a level deeper
                for depth, i in enumerate(run):
                    outline.heading(first + depth, lines[i])
            start = end
    return outline.sections()


def heading_level(line: str, before: str | None, after: str | None) -> int | None:
    """The heading level of `line` between `before` and `after` (None: top or bottom of a
    page), or None when it is prose."""
    text = line.strip()
    if not _looks_apart(text, before, after):
        return None
    words = _WORD.findall(text)
    tokens = text.split()
    if not words or len(tokens) > MAX_HEADING_WORDS or len(words) * 2 < len(tokens):
        return None
    if text.endswith("?"):
        return QUESTION_LEVEL if text[0].isupper() else None
    if text.endswith(_SENTENCE_END) or text.endswith(","):
        return None
    return TITLE_LEVEL if _title_case(words) else None


def _looks_apart(text: str, before: str | None, after: str | None) -> bool:
    if not 3 <= len(text) <= MAX_HEADING_CHARS or _BULLET.match(text):
        return False
    if not (text[0].isupper() or text[0].isdigit()):
        return False
    if before is not None and not _ends_sentence(before) and len(before) > MAX_HEADING_CHARS:
        return False  # the tail of a sentence wrapped from the line before
    first = after.lstrip()[:1] if after else ""
    return not first.islower()


def _ends_sentence(line: str) -> bool:
    return line.rstrip().endswith(_SENTENCE_END)


def _title_case(words: Sequence[str]) -> bool:
    significant = [w for w in words if w.lower() not in SMALL_WORDS]
    if not significant:
        return False
    if not words[0][0].isupper():
        return False
    return all(w[0].isupper() for w in significant)
