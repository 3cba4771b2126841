"""Generic HTML pages: navigation and scripts dropped, sections split at h1-h6."""

from __future__ import annotations

from pathlib import Path

from bs4 import Tag

from bot.errors import LoadError
from indexer.loaders.htmltext import render, text_of, to_soup
from indexer.loaders.outline import Outline
from indexer.loaders.parsed import Parsed, require_text


def parse(path: Path) -> Parsed:
    try:
        soup = to_soup(path.read_bytes())
    except OSError as exc:
        raise LoadError(f"could not read file ({exc.strerror or exc})") from exc
    body = soup.body or soup
    outline = Outline()
    render(body, outline)
    sections = require_text(outline.sections(), "HTML page has no readable text")
    return Parsed(title=_title(soup.title, body.find("h1")), sections=sections)


def _title(title: Tag | None, first_h1: object) -> str | None:
    for element in (title, first_h1):
        if isinstance(element, Tag) and text_of(element):
            return text_of(element)
    return None
