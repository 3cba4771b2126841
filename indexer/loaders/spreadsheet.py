"""Excel workbooks: each visible sheet a section, its rows as "column: value" lines like CSV.

Read in openpyxl's read-only mode (rows stream from the zip, memory stays flat) with
`data_only=True`, so a formula cell gives the value Excel cached when the file was saved.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time
from itertools import chain, islice
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from bot.errors import LoadError
from indexer.loaders.parsed import Parsed, as_utc, require_text
from indexer.loaders.tabular import ROWS_PER_SECTION, render_row
from indexer.records import Section

MAX_ROWS_PER_SHEET = 50_000  # past this a sheet is a data dump, not knowledge; the rest is cut
_HEADER_SCAN_ROWS = 10


def parse(path: Path) -> Parsed:
    try:
        with path.open("rb") as handle:  # a file object: openpyxl would insist on the suffix
            workbook = load_workbook(handle, read_only=True, data_only=True)
            try:
                sections = tuple(_workbook_sections(workbook))
                props = workbook.properties
                title = " ".join((props.title or "").split()) or None
                as_utc(props.modified)
            finally:
                workbook.close()
    except OSError as exc:
        raise LoadError(f"could not read file ({exc.strerror or exc})") from exc
    except (InvalidFileException, zipfile.BadZipFile, KeyError) as exc:
        raise LoadError("not a valid XLSX file (zip is corrupt or not a workbook)") from exc
    except LoadError:
        raise
    except Exception as exc:  # openpyxl fails in many ways on damaged parts
        raise LoadError(f"could not read XLSX content ({type(exc).__name__})") from exc
    return Parsed(title=title, sections=require_text(sections, "XLSX has no data rows"))


def _workbook_sections(workbook: Any) -> Iterator[Section]:
    for sheet in workbook.worksheets:
        if getattr(sheet, "sheet_state", "visible") != "visible":
            continue  # hidden and very hidden sheets hold lookups, not what people read
        rows = sheet.iter_rows(max_row=MAX_ROWS_PER_SHEET, values_only=True)
        yield from sheet_sections(str(sheet.title), rows)


def sheet_sections(name: str, rows: Iterable[Sequence[Any]]) -> Iterator[Section]:
    """Each non-empty row after the header as "column: value" lines, numbered as Excel does."""
    numbered = ((n, [cell_text(v) for v in row]) for n, row in enumerate(rows, start=1))
    numbered = ((n, cells) for n, cells in numbered if any(cells))
    head = list(islice(numbered, _HEADER_SCAN_ROWS))
    if not head:
        return
    at = _header_index([cells for _, cells in head])
    header = head[at][1]
    columns = "Columns: " + ", ".join(cell for cell in header if cell)
    group: list[str] = []
    for number, cells in chain(head[at + 1 :], numbered):
        group.append(f"Row {number}\n{render_row(header, cells)}")
        if len(group) == ROWS_PER_SECTION:
            yield Section(text=columns + "\n\n" + "\n\n".join(group), headings=(name,))
            group = []
    if group:
        yield Section(text=columns + "\n\n" + "\n\n".join(group), headings=(name,))


def _header_index(rows: Sequence[Sequence[str]]) -> int:
    """The first row of two or more cells: a one-cell title row above the header is skipped."""
    widths = [sum(1 for cell in row if cell) for row in rows]
    wanted = min(2, max(widths))
    return next(index for index, width in enumerate(widths) if width >= wanted)


def cell_text(value: Any) -> str:
    """A cell as a person reads it: dates without a midnight time, whole floats without `.0`."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())
