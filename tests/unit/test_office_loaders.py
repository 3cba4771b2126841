"""Excel and PowerPoint loaders, on workbooks and decks the tests build themselves."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from pptx import Presentation
from pptx.util import Inches

from bot.errors import EmptyFile, LoadError
from indexer.loaders import load_file, slides, spreadsheet
from indexer.loaders.tabular import ROWS_PER_SECTION
from indexer.records import Source, SourceFile


def _workbook(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Holidays 2026"
    sheet.append(["Company holidays"])  # a title row above the header
    sheet.append(["Holiday", "Date", "Paid days"])
    sheet.append(["New Year", datetime(2026, 1, 1), 1])
    sheet.append(["Winter break", datetime(2026, 12, 24), "=1+2"])
    sheet.append([None, None, None])
    sheet.append(["Summer Friday", None, 0.5])
    hidden = book.create_sheet("Lookup")
    hidden.append(["Secret", "Value"])
    hidden.append(["salary band", "confidential"])
    hidden.sheet_state = "hidden"
    second = book.create_sheet("Contacts")
    second.append(["Team", "Contact"])
    second.append(["Payroll", "payroll@example.com"])
    book.properties.title = "HR calendar"
    book.save(path)
    return path


def test_each_visible_sheet_is_a_section_titled_by_its_name(tmp_path: Path) -> None:
    parsed = spreadsheet.parse(_workbook(tmp_path / "calendar.xlsx"))

    assert parsed.title == "HR calendar"
    assert [s.headings for s in parsed.sections] == [("Holidays 2026",), ("Contacts",)]
    assert "confidential" not in " ".join(s.text for s in parsed.sections)


def test_rows_read_as_column_value_lines_under_the_detected_header(tmp_path: Path) -> None:
    text = spreadsheet.parse(_workbook(tmp_path / "calendar.xlsx")).sections[0].text

    assert text.startswith("Columns: Holiday, Date, Paid days")
    assert "Row 3\nHoliday: New Year\nDate: 2026-01-01\nPaid days: 1" in text
    assert "Row 6\nHoliday: Summer Friday\nPaid days: 0.5" in text
    assert "Company holidays" not in text


def test_formulas_give_their_cached_value_never_the_formula(tmp_path: Path) -> None:
    # openpyxl writes no cached values, so a formula Excel never calculated reads as empty
    text = spreadsheet.parse(_workbook(tmp_path / "calendar.xlsx")).sections[0].text

    assert "=1+2" not in text
    assert "Row 4\nHoliday: Winter break\nDate: 2026-12-24" in text


def test_long_sheets_are_split_into_small_sections(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Employee", "Office"])
    for number in range(ROWS_PER_SECTION * 2 + 1):
        sheet.append([f"person {number}", "Oslo"])
    book.save(tmp_path / "offices.xlsx")

    sections = spreadsheet.parse(tmp_path / "offices.xlsx").sections

    assert len(sections) == 3
    assert all(s.text.startswith("Columns: Employee, Office") for s in sections)


def test_workbook_with_no_rows_is_an_empty_file(tmp_path: Path) -> None:
    Workbook().save(tmp_path / "blank.xlsx")

    with pytest.raises(EmptyFile):
        spreadsheet.parse(tmp_path / "blank.xlsx")


def test_damaged_workbook_is_a_load_error(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "calendar.xlsx")
    path.write_bytes(path.read_bytes()[:400])

    with pytest.raises(LoadError, match="not a valid XLSX file"):
        spreadsheet.parse(path)


def _deck(path: Path) -> Path:
    deck = Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[1])
    assert first.shapes.title is not None
    first.shapes.title.text = "Benefits overview"
    body = first.placeholders[1].text_frame
    body.text = "Health insurance from day one"
    detail = body.add_paragraph()
    detail.text = "Dental included"
    detail.level = 1
    first.notes_slide.notes_text_frame.text = "Mention the enrolment deadline of 30 days."
    second = deck.slides.add_slide(deck.slide_layouts[5])
    assert second.shapes.title is not None
    second.shapes.title.text = "Plans"
    table = second.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(2)).table
    for row, values in enumerate([("Plan", "Monthly cost"), ("Basic", "$0"), ("Plus", "$40")]):
        for column, value in enumerate(values):
            table.cell(row, column).text = value
    deck.slides.add_slide(deck.slide_layouts[6])  # blank: no text at all
    deck.save(path)
    return path


def test_each_slide_is_a_section_titled_by_its_title_with_its_slide_number(
    tmp_path: Path,
) -> None:
    parsed = slides.parse(_deck(tmp_path / "benefits.pptx"))

    assert parsed.title == "Benefits overview"
    assert [(s.headings, s.page) for s in parsed.sections] == [
        (("Benefits overview",), 1),
        (("Plans",), 2),
    ]


def test_slide_text_keeps_bullet_levels_and_speaker_notes(tmp_path: Path) -> None:
    text = slides.parse(_deck(tmp_path / "benefits.pptx")).sections[0].text

    assert text.splitlines()[:2] == ["Health insurance from day one", "  - Dental included"]
    assert "Speaker notes:\nMention the enrolment deadline of 30 days." in text


def test_slide_tables_read_as_header_value_lines(tmp_path: Path) -> None:
    text = slides.parse(_deck(tmp_path / "benefits.pptx")).sections[1].text

    assert text.splitlines() == ["Plan: Basic; Monthly cost: $0", "Plan: Plus; Monthly cost: $40"]


def test_damaged_deck_is_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.pptx"
    path.write_bytes(b"PK\x03\x04 this is not a presentation")

    with pytest.raises(LoadError, match="PPTX"):
        slides.parse(path)


@pytest.mark.parametrize("name", ["calendar.xlsx", "benefits.pptx"])
def test_office_files_load_through_the_common_entry_point(tmp_path: Path, name: str) -> None:
    path = _workbook(tmp_path / name) if name.endswith(".xlsx") else _deck(tmp_path / name)
    source = Source(name="hr", kind="files", path=tmp_path)

    [document] = load_file(SourceFile(source, path, name))

    assert (document.source, document.path) == ("hr", name)
    assert document.sections
