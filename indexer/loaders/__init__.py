"""Loaders: read one exported file (or a Confluence space export) into `LoadedDocument`s.

Each format module parses a path into a `Parsed` record and raises `LoadError` with a one-line
reason when it cannot; `load_file` adds what every document needs (path, source, url, date).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from indexer.loaders import docx, html, markdown, pdf, slides, spreadsheet, tabular, text
from indexer.loaders.confluence import is_confluence_export, load_confluence_export
from indexer.loaders.parsed import (
    Parsed,
    join_url,
    modified_at,
    require_content,
    title_from_stem,
)
from indexer.records import LoadedDocument, SourceFile

__all__ = [
    "SUPPORTED_SUFFIXES",
    "UnsupportedFile",
    "is_confluence_export",
    "load_confluence_export",
    "load_file",
]

_PARSERS: dict[str, Callable[[Path], Parsed]] = {
    ".md": markdown.parse,
    ".markdown": markdown.parse,
    ".html": html.parse,
    ".htm": html.parse,
    ".pdf": pdf.parse,
    ".docx": docx.parse,
    ".xlsx": spreadsheet.parse,
    ".xlsm": spreadsheet.parse,
    ".pptx": slides.parse,
    ".csv": tabular.parse,
    ".tsv": tabular.parse,
    ".txt": text.parse,
}

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_PARSERS)


class UnsupportedFile(Exception):
    """A file whose type Deskmate does not read; the message says which type."""


def load_file(file: SourceFile) -> list[LoadedDocument]:
    """Read one file of a source; raises UnsupportedFile or LoadError (with a short reason)."""
    suffix = file.path.suffix.lower()
    parser = _PARSERS.get(suffix)
    if parser is None:
        raise UnsupportedFile(f"unsupported file type {suffix or '(no extension)'}")
    require_content(file.path)
    parsed = parser(file.path)
    base_url = file.source.base_url
    document = LoadedDocument(
        source=file.source.name,
        path=file.relative,
        title=parsed.title or title_from_stem(file.path),
        sections=parsed.sections,
        url=join_url(base_url, file.relative) if base_url else None,
        updated_at=parsed.updated_at or modified_at(file.path),
    )
    return [document]
