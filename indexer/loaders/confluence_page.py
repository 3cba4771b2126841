"""One page file of a Confluence HTML space export, read into title, breadcrumbs and sections."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

from bs4 import BeautifulSoup, Tag

from bot.errors import LoadError
from indexer.loaders.htmltext import render, text_of, to_soup
from indexer.loaders.outline import Outline
from indexer.loaders.parsed import title_from_stem
from indexer.records import Section

# Export chrome that may sit inside #main-content and is not part of what the page says.
_CHROME = ("#breadcrumb-section", "#footer", ".page-metadata", ".pageSection", ".toc-macro")
_DATE = re.compile(
    r"\bon\s+([A-Z][a-z]{2,8} \d{1,2}, \d{4}|\d{1,2} [A-Z][a-z]{2,8} \d{4}"
    r"|\d{1,2}\.\d{1,2}\.\d{4}|\d{4}-\d{2}-\d{2})"
)
_DATE_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y", "%d.%m.%Y", "%Y-%m-%d")


@dataclass(frozen=True)
class ConfluencePage:
    title: str
    space: str | None
    breadcrumbs: tuple[str, ...]
    sections: tuple[Section, ...]
    updated_at: datetime | None = None
    attachment_names: Mapping[str, str] = field(default_factory=dict)  # path -> shown name


def read_page(path: Path) -> ConfluencePage:
    """Read a page file; raises LoadError when it has no #main-content.

    A page with no text of its own (often a parent that only lists its children) has no sections.
    """
    soup = _soup(path)
    main = soup.select_one("#main-content")
    if main is None:
        raise LoadError("no #main-content element; not a Confluence page export")
    crumbs = tuple(text_of(li) for li in soup.select("#breadcrumbs > li") if text_of(li))
    space = crumbs[0] if crumbs else None
    return ConfluencePage(
        title=_page_title(soup, space) or title_from_stem(path),
        space=space,
        breadcrumbs=crumbs,  # the export lists the ancestors, never the page itself
        sections=_sections(main),
        updated_at=_modified_on(soup.select_one(".page-metadata")),
        attachment_names=_attachment_names(soup),
    )


def read_space_home(path: Path) -> ConfluencePage | None:
    """The space home from `index.html`, or None when it only lists space details and pages."""
    soup = _soup(path)
    main = soup.select_one("#main-content.wiki-content")
    sections = _sections(main) if main is not None else ()
    if not sections:
        return None
    space = _space_name(soup)
    return ConfluencePage(
        title=space or "Space home",
        space=space,
        breadcrumbs=(),
        sections=sections,
        updated_at=_modified_on(soup.select_one(".page-metadata")),
    )


def _soup(path: Path) -> BeautifulSoup:
    try:
        return to_soup(path.read_bytes())
    except OSError as exc:
        raise LoadError(f"could not read file ({exc.strerror or exc})") from exc


def _sections(main: Tag) -> tuple[Section, ...]:
    for chrome in main.select(", ".join(_CHROME)):
        chrome.decompose()
    outline = Outline()
    render(main, outline)
    return outline.sections()


def _page_title(soup: BeautifulSoup, space: str | None) -> str | None:
    """ "Space : Page Title" from #title-text (or <title>), without the space prefix."""
    element = soup.select_one("#title-text") or soup.title
    full = text_of(element) if element else ""
    if space and full.startswith(f"{space} : "):
        return full[len(space) + 3 :].strip() or None
    _, separator, rest = full.partition(" : ")
    return (rest.strip() if separator else full) or None


def _space_name(soup: BeautifulSoup) -> str | None:
    for row in soup.select("#main-content tr, .pageSection tr"):
        cells = [text_of(cell) for cell in row.find_all(("th", "td"))]
        if len(cells) == 2 and cells[0] == "Name" and cells[1]:
            return cells[1]
    title = text_of(soup.title) if soup.title else ""
    return title or None


def _modified_on(metadata: Tag | None) -> datetime | None:
    """The date in "Created by A, last modified by B on Mar 04, 2026" (the last date given)."""
    found = _DATE.findall(text_of(metadata)) if metadata else []
    for value in reversed(found):
        for fmt in _DATE_FORMATS:
            try:
                return datetime.strptime(value, fmt).replace(tzinfo=UTC)
            except ValueError:
                continue
    return None


def _attachment_names(soup: BeautifulSoup) -> dict[str, str]:
    names: dict[str, str] = {}
    for link in soup.select('a[href^="attachments/"]'):
        href = unquote(str(link.get("href", ""))).split("?")[0]
        if text_of(link):
            names.setdefault(href, text_of(link))
    return names
