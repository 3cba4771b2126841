"""Markdown: YAML front matter, then sections split at ATX headings (`#` to `######`)."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from indexer.loaders.decoding import read_text
from indexer.loaders.outline import Outline
from indexer.loaders.parsed import Parsed, as_utc, require_text

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_DATE_KEYS = ("updated", "last_updated", "updated_at", "date")


def parse(path: Path) -> Parsed:
    meta, body = split_front_matter(read_text(path))
    outline = Outline()
    first_h1: str | None = None
    fence: str | None = None
    for line in body.splitlines():
        fence = _next_fence(fence, line)
        heading = None if fence or _FENCE.match(line) else _HEADING.match(line)
        if heading:
            level, text = len(heading.group(1)), heading.group(2).strip()
            if level == 1 and first_h1 is None:
                first_h1 = text
            outline.heading(level, text)
        else:
            outline.line(line)
    sections = require_text(outline.sections(), "file is empty")
    title = meta.get("title")
    return Parsed(
        title=str(title).strip() if title else first_h1,
        sections=sections,
        updated_at=_front_matter_date(meta),
    )


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """The YAML front matter as a mapping (empty when absent or unreadable), and the body."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        meta = None
    return (meta if isinstance(meta, dict) else {}), text[match.end() :]


def _next_fence(fence: str | None, line: str) -> str | None:
    """The fence still open after `line`: a fence closes with the same character, as long."""
    match = _FENCE.match(line)
    if not match:
        return fence
    marker = match.group(1)
    if fence is None:
        return marker
    closes = marker[0] == fence[0] and len(marker) >= len(fence) and not line.strip()[len(marker) :]
    return None if closes else fence


def _front_matter_date(meta: dict[str, Any]) -> datetime | None:
    for key in _DATE_KEYS:
        value = meta.get(key)
        if isinstance(value, date):
            return as_utc(value)
    return None
