"""Word documents: heading styles build the outline; tables stay where they sit in the text."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import docx
from docx.document import Document
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from bot.errors import LoadError
from indexer.loaders.outline import Outline
from indexer.loaders.parsed import Parsed, as_utc, require_text
from indexer.loaders.tabular import header_value_lines

_HEADING_STYLE = re.compile(r"^Heading ([1-6])$")
_TITLE_LEVEL = 0  # "Title" sits above "Heading 1" in the outline


def parse(path: Path) -> Parsed:
    document = _open(path)
    try:
        outline = Outline()
        title_paragraph, first_heading = _fill(document, outline)
        props = document.core_properties
        core_title = " ".join((props.title or "").split()) or None
        updated_at = as_utc(props.modified)
    except Exception as exc:  # python-docx fails in many ways on damaged parts
        raise LoadError(f"could not read DOCX content ({type(exc).__name__})") from exc
    sections = require_text(outline.sections(), "DOCX has no text")
    title = title_paragraph or core_title or first_heading
    return Parsed(title=title, sections=sections, updated_at=updated_at)


def _open(path: Path) -> Document:
    try:
        return docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile) as exc:
        raise LoadError("not a valid DOCX file (zip is corrupt)") from exc
    except OSError as exc:
        raise LoadError(f"could not read file ({exc.strerror or exc})") from exc
    except Exception as exc:  # a zip that is not a Word package, missing parts, bad XML
        raise LoadError(f"not a valid DOCX file ({type(exc).__name__})") from exc


def _fill(document: Document, outline: Outline) -> tuple[str | None, str | None]:
    """Feed paragraphs and tables, in order, into `outline`; return the Title and first heading."""
    title: str | None = None
    first_heading: str | None = None
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for line in table_lines(block):
                outline.line(line)
            continue
        text = " ".join(block.text.split())
        level = _heading_level(block)
        if level is None:
            outline.line(_list_prefix(block) + text)
        elif text:
            outline.heading(level, text)
            title = title or (text if level == _TITLE_LEVEL else None)
            first_heading = first_heading or text
    return title, first_heading


def table_lines(table: Table) -> Iterator[str]:
    """Each row after the first as "Header: value; Header: value" (empty values left out)."""
    yield from header_value_lines([_row_texts(row.cells) for row in table.rows])


def _row_texts(cells: Sequence[_Cell]) -> list[str]:
    """Cell texts of one row; a merged cell repeats across grid columns and counts once."""
    texts: list[str] = []
    previous: object = None
    for cell in cells:
        if cell._tc is previous:
            continue
        previous = cell._tc
        texts.append(" ".join(cell.text.split()))
    return texts


def _heading_level(paragraph: Paragraph) -> int | None:
    name = paragraph.style.name if paragraph.style is not None else ""
    if name == "Title":
        return _TITLE_LEVEL
    match = _HEADING_STYLE.match(name or "")
    return int(match.group(1)) if match else None


def _list_prefix(paragraph: Paragraph) -> str:
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    return "- " if name.startswith(("List Bullet", "List Number")) and paragraph.text else ""
