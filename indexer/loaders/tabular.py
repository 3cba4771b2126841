"""CSV and TSV exports: every row as "column: value" lines, a few dozen rows per section."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

from bot.errors import LoadError
from indexer.loaders.decoding import read_text
from indexer.loaders.parsed import Parsed, title_from_stem
from indexer.records import Section

ROWS_PER_SECTION = 20
_DELIMITERS = ",;\t|"
_SNIFF_CHARS = 16_384


def parse(path: Path) -> Parsed:
    """Rows are numbered as a spreadsheet shows them: the header is row 1, data starts at 2."""
    text = read_text(path)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), _dialect(text, path)))
    except csv.Error as exc:
        raise LoadError(f"not a readable CSV file ({exc})") from exc
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise LoadError("CSV has no header row")
    header = [cell.strip() for cell in rows[0]]
    records = [
        (number, record)
        for number, row in enumerate(rows[1:], start=2)
        if (record := render_row(header, row))
    ]
    if not records:
        raise LoadError("CSV has no data rows")
    title = title_from_stem(path)
    return Parsed(title=None, sections=tuple(_sections(title, header, records)))


def render_row(header: Sequence[str], row: Sequence[str]) -> str:
    """ "column: value" lines for the non-empty values of `row`; extra cells get "column N"."""
    lines = []
    for index, value in enumerate(row):
        name = header[index] if index < len(header) and header[index] else f"column {index + 1}"
        if value.strip():
            lines.append(f"{name}: {' '.join(value.split())}")
    return "\n".join(lines)


def header_value_lines(rows: Sequence[Sequence[str]]) -> Iterator[str]:
    """A table whose first row names the columns: each later row as "Header: value; ..."."""
    if not rows:
        return
    header, *body = rows
    if not body:
        yield " | ".join(cell for cell in header if cell)
    for row in body:
        pairs = [(name, value) for name, value in zip(header, row, strict=False) if value]
        line = "; ".join(f"{name}: {value}" if name else value for name, value in pairs)
        if line:
            yield line


def _sections(
    title: str, header: Sequence[str], records: list[tuple[int, str]]
) -> Iterator[Section]:
    columns = "Columns: " + ", ".join(name for name in header if name)
    for start in range(0, len(records), ROWS_PER_SECTION):
        group = records[start : start + ROWS_PER_SECTION]
        rows = "\n\n".join(f"Row {number}\n{record}" for number, record in group)
        yield Section(text=f"{columns}\n\n{rows}", headings=(title,))


def _dialect(text: str, path: Path) -> type[csv.Dialect] | csv.Dialect:
    fallback = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
    try:
        return csv.Sniffer().sniff(text[:_SNIFF_CHARS], delimiters=_DELIMITERS)
    except csv.Error:
        return fallback
