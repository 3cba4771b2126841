"""How Deskmate reads exported files: what it keeps, what it drops, and how it reports trouble."""

from __future__ import annotations

import logging
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import LoadError
from indexer.loaders import (
    SUPPORTED_SUFFIXES,
    UnsupportedFile,
    is_confluence_export,
    load_confluence_export,
    load_file,
)
from indexer.records import FileError, LoadedDocument, Source, SourceFile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FILES = FIXTURES / "files"
BAD = FIXTURES / "bad"
CONFLUENCE = FIXTURES / "confluence"
WIKI_URL = "https://wiki.example/wiki/spaces/FAC"


def load(path: Path, base_url: str | None = None) -> LoadedDocument:
    source = Source(name="exports", kind="files", path=path.parent, base_url=base_url)
    [document] = load_file(SourceFile(source=source, path=path, relative=path.name))
    return document


def all_text(document: LoadedDocument) -> str:
    return "\n".join(section.text for section in document.sections)


def section_under(document: LoadedDocument, *headings: str) -> str:
    [text] = [s.text for s in document.sections if s.headings == headings]
    return text


def load_export(root: Path = CONFLUENCE, base_url: str | None = WIKI_URL) -> dict[str, object]:
    source = Source(name="wiki", kind="confluence", path=root, base_url=base_url)
    return {item.path: item for item in load_confluence_export(source, root)}


def copy_export(tmp_path: Path) -> Path:
    return Path(shutil.copytree(CONFLUENCE, tmp_path / "export"))


# --- PDF ---------------------------------------------------------------------------------------


def test_pdf_pages_are_kept_for_citations() -> None:
    document = load(FILES / "onboarding-checklist.pdf")

    assert [section.page for section in document.sections] == [1, 2]
    assert "badge and photo ID" in document.sections[0].text
    assert "permit number is P-42" in document.sections[1].text


def test_pdf_title_comes_from_its_metadata() -> None:
    assert load(FILES / "onboarding-checklist.pdf").title == "Onboarding Checklist"


def test_encrypted_pdf_is_a_clear_load_error() -> None:
    with pytest.raises(LoadError, match=r"^PDF is encrypted"):
        load(BAD / "encrypted.pdf")


def test_pdf_without_a_text_layer_is_reported_as_probably_scanned() -> None:
    with pytest.raises(LoadError, match=r"PDF has no extractable text \(scanned\?\)"):
        load(BAD / "scanned.pdf")


def test_corrupt_pdf_is_a_load_error_without_pypdf_noise(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    with pytest.raises(LoadError, match=r"^not a valid PDF file"):
        load(BAD / "corrupt.pdf")

    assert not [record for record in caplog.records if record.name.startswith("pypdf")]


# --- DOCX --------------------------------------------------------------------------------------


def test_docx_tables_are_rendered_as_column_value_text() -> None:
    text = all_text(load(FILES / "equipment-catalogue.docx"))

    assert "Model: Aurora 27; Size: 27 inch; Price: $450" in text
    assert "Model: Aurora 32; Price: $610" in text  # the empty size is left out


def test_docx_tables_stay_where_they_are_in_the_document() -> None:
    document = load(FILES / "equipment-catalogue.docx")
    text = section_under(document, "Equipment Catalogue", "Monitors")

    before, table_row, after = (
        text.index("Choose one monitor"),
        text.index("Model: Aurora 27"),
        text.index("Order monitors through the IT portal"),
    )
    assert before < table_row < after


def test_docx_heading_styles_build_heading_paths_under_the_title() -> None:
    document = load(FILES / "equipment-catalogue.docx")

    assert document.title == "Equipment Catalogue"
    assert [section.headings for section in document.sections] == [
        ("Equipment Catalogue", "Monitors"),
        ("Equipment Catalogue", "Monitors", "Docking stations"),
    ]


def test_docx_date_comes_from_its_core_properties() -> None:
    document = load(FILES / "equipment-catalogue.docx")

    assert document.updated_at == datetime(2025, 5, 1, 12, tzinfo=UTC)


def test_truncated_docx_is_a_load_error_naming_the_broken_zip() -> None:
    with pytest.raises(LoadError, match=r"^not a valid DOCX file \(zip is corrupt\)$"):
        load(BAD / "truncated.docx")


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_keeps_the_header_and_renders_each_row_as_column_value_lines() -> None:
    document = load(FILES / "office-locations.csv")
    text = all_text(document)

    assert text.startswith("Columns: city, country, desks, notes")  # the BOM is gone
    assert "Row 2\ncity: Lisbon\ncountry: Portugal\ndesks: 40\nnotes: Opened 2024" in text
    assert "Row 3\ncity: Austin\ncountry: USA\ndesks: 85\n\n" in text  # empty notes skipped
    assert "city: Kraków" in text


def test_csv_rows_are_grouped_into_small_sections_headed_by_the_title(tmp_path: Path) -> None:
    path = tmp_path / "asset_register.csv"
    rows = [f"LAP-{n:03d},laptop,desk {n}" for n in range(1, 46)]
    path.write_text("tag,kind,location\n" + "\n".join(rows) + "\n", encoding="utf-8")

    document = load(path)

    assert document.title == "asset register"
    assert len(document.sections) == 3
    assert {section.headings for section in document.sections} == {("asset register",)}
    assert "Row 22\ntag: LAP-021" in document.sections[1].text
    assert "tag: LAP-045" in document.sections[2].text


def test_latin1_csv_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_bytes("site,manager\nZürich,Jörg Müller\n".encode("latin-1"))

    assert "site: Zürich\nmanager: Jörg Müller" in all_text(load(path))


# --- Markdown ----------------------------------------------------------------------------------


def test_markdown_sections_carry_their_heading_path() -> None:
    document = load(FILES / "release-notes.md")

    assert [section.headings for section in document.sections] == [
        ("Tern Sync 2.0",),
        ("Tern Sync 2.0", "Features", "Offline mode"),
        ("Tern Sync 2.0", "Fixes"),
        ("Tern Sync 2.0", "Fixes", "Known issue"),
    ]
    assert section_under(document, "Tern Sync 2.0", "Features", "Offline mode") == (
        "Edits made offline sync when the device reconnects."
    )


def test_markdown_front_matter_gives_title_and_date_and_is_not_indexed() -> None:
    document = load(FILES / "release-notes.md")

    assert document.title == "Tern Sync Release Notes"
    assert document.updated_at == datetime(2025, 5, 20, tzinfo=UTC)
    assert "title:" not in all_text(document)


def test_markdown_headings_inside_code_fences_stay_code() -> None:
    fixes = section_under(load(FILES / "release-notes.md"), "Tern Sync 2.0", "Fixes")

    assert "# this comment is code, not a heading" in fixes


def test_markdown_title_falls_back_to_first_h1_then_file_stem(tmp_path: Path) -> None:
    with_h1 = tmp_path / "notes.md"
    with_h1.write_text("Intro.\n\n# Desk Booking\n\nBook desks a day ahead.\n", encoding="utf-8")
    without = tmp_path / "desk_booking-rules.md"
    without.write_text("Book desks a day ahead.\n", encoding="utf-8")

    assert load(with_h1).title == "Desk Booking"
    assert load(without).title == "desk booking rules"


# --- HTML and text -----------------------------------------------------------------------------


def test_html_drops_navigation_and_scripts_and_keeps_lists_and_tables_readable() -> None:
    document = load(FILES / "team-page.html")
    text = all_text(document)

    assert document.title == "Facilities Team"
    dropped = ("Intranet header", "Home menu", "Copyright footer", "do-not-index", "trackClick")
    assert [snippet for snippet in dropped if snippet in text] == []
    contacts = section_under(document, "Facilities Team", "Contacts")
    assert "- Reception desk: extension 100\n- Maintenance\n  - Urgent repairs: extension 199" in (
        contacts
    )
    assert "Office | Floor\nLisbon | 4" in contacts


def test_text_file_title_is_its_first_short_line() -> None:
    document = load(FILES / "wifi-instructions.txt")

    assert document.title == "Guest Wi-Fi Instructions"
    assert "Join the network Tern-Guest.\nAsk reception" in all_text(document)


def test_text_file_with_a_long_first_line_is_titled_from_its_name(tmp_path: Path) -> None:
    path = tmp_path / "parking_rules.txt"
    path.write_text("Parking " * 20 + "\n\nSecond paragraph.\n", encoding="utf-8")

    assert load(path).title == "parking rules"


def test_binary_bytes_in_a_text_file_are_a_decoding_error(tmp_path: Path) -> None:
    path = tmp_path / "dump.txt"
    path.write_bytes(b"\x00\x01\x02 binary")

    with pytest.raises(LoadError, match="could not decode text as UTF-8 or Latin-1"):
        load(path)


# --- What every document carries ---------------------------------------------------------------


def test_document_path_source_and_url_come_from_the_source_file() -> None:
    source = Source(name="hr", kind="files", path=FILES, base_url="https://hr.example/exports/")
    path = FILES / "wifi-instructions.txt"
    file = SourceFile(source=source, path=path, relative="it/wifi notes.txt")

    [document] = load_file(file)

    assert (document.source, document.path) == ("hr", "it/wifi notes.txt")
    assert document.url == "https://hr.example/exports/it/wifi%20notes.txt"


def test_document_has_no_url_without_a_base_url() -> None:
    assert load(FILES / "wifi-instructions.txt").url is None


def test_updated_at_is_the_file_mtime_in_utc_when_the_format_has_no_date(tmp_path: Path) -> None:
    path = Path(shutil.copy(FILES / "wifi-instructions.txt", tmp_path))
    os.utime(path, (1_700_000_000, 1_700_000_000))

    assert load(path).updated_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


def test_suffixes_are_matched_case_insensitively(tmp_path: Path) -> None:
    path = Path(shutil.copy(FILES / "onboarding-checklist.pdf", tmp_path / "CHECKLIST.PDF"))

    assert load(path).sections[1].page == 2
    assert {".pdf", ".docx", ".md", ".html", ".csv", ".txt"} <= SUPPORTED_SUFFIXES


def test_unsupported_file_is_reported_with_reason(tmp_path: Path) -> None:
    (tmp_path / "slides.key").write_bytes(b"a Keynote deck")

    with pytest.raises(UnsupportedFile, match=r"^unsupported file type \.key$"):
        load(tmp_path / "slides.key")


def test_a_damaged_powerpoint_file_is_a_load_error() -> None:
    with pytest.raises(LoadError, match=r"^not a valid PPTX file"):
        load(BAD / "slides.pptx")


def test_empty_file_is_a_load_error() -> None:
    with pytest.raises(LoadError, match=r"^file is empty$"):
        load(BAD / "empty.md")


# --- Confluence HTML space export --------------------------------------------------------------


def test_confluence_export_is_recognised_by_its_index_and_page_files() -> None:
    assert is_confluence_export(CONFLUENCE)
    assert not is_confluence_export(FILES)


def test_confluence_page_keeps_title_breadcrumbs_and_headings_and_drops_navigation() -> None:
    page = load_export()["Visitor-Policy_2002.html"]

    assert isinstance(page, LoadedDocument)
    assert page.title == "Visitor Policy"
    assert page.breadcrumbs == ("Facilities", "Office Wi-Fi")
    assert [section.headings for section in page.sections] == [(), ("Before the visit",)]
    text = all_text(page)
    assert "1. Register the visitor a day ahead." in text
    chrome = ("Facilities :", "Created by", "Document generated by Confluence", "Attachments:")
    assert [snippet for snippet in chrome if snippet in text] == []


def test_confluence_page_drops_the_table_of_contents_and_keeps_tables_and_subheadings() -> None:
    page = load_export()["Office-Wifi_2001.html"]

    assert isinstance(page, LoadedDocument)
    assert [section.headings for section in page.sections] == [
        (),
        ("Networks",),
        ("Troubleshooting", "Captive portal loops"),
    ]
    assert page.sections[0].text == "Both offices have two wireless networks."
    assert "Tern-Guest | Visitors, code from reception" in page.sections[1].text


def test_confluence_page_links_to_its_page_id_and_dates_from_its_metadata() -> None:
    pages = load_export()
    wifi, visitors = pages["Office-Wifi_2001.html"], pages["Visitor-Policy_2002.html"]

    assert isinstance(wifi, LoadedDocument)
    assert isinstance(visitors, LoadedDocument)
    assert wifi.url == f"{WIKI_URL}/pages/viewpage.action?pageId=2001"
    assert wifi.updated_at == datetime(2025, 3, 5, tzinfo=UTC)  # "last modified ... on Mar 05"
    assert visitors.updated_at == datetime(2025, 4, 10, tzinfo=UTC)  # "Created by ... on Apr 10"


def test_confluence_attachment_becomes_its_own_document_linked_to_its_page() -> None:
    attachment = load_export()["attachments/2002/3001.pdf"]

    assert isinstance(attachment, LoadedDocument)
    assert attachment.title == "visitor-badge-form.pdf (attachment of Visitor Policy)"
    assert attachment.parent_path == "Visitor-Policy_2002.html"
    assert attachment.url == f"{WIKI_URL}/download/attachments/2002/visitor-badge-form.pdf"
    assert attachment.breadcrumbs == ("Facilities", "Office Wi-Fi", "Visitor Policy")
    assert attachment.sections[0].page == 1
    assert "Visitor name, host" in attachment.sections[0].text


def test_confluence_space_index_and_images_are_not_indexed() -> None:
    assert sorted(load_export()) == [
        "Office-Wifi_2001.html",
        "Visitor-Policy_2002.html",
        "attachments/2002/3001.pdf",
    ]


def test_confluence_export_without_base_url_has_no_links() -> None:
    documents = load_export(base_url=None).values()

    assert [doc.url for doc in documents if isinstance(doc, LoadedDocument)] == [None] * 3


def test_confluence_space_home_with_content_is_indexed_under_the_space_name(
    tmp_path: Path,
) -> None:
    root = copy_export(tmp_path)
    index = root / "index.html"
    index.write_text(
        index.read_text(encoding="utf-8").replace(
            '<div id="main-content" class="pageSection">',
            '<div id="main-content" class="wiki-content group"><p>Facilities runs the offices.</p>',
        ),
        encoding="utf-8",
    )

    home = load_export(root)["index.html"]

    assert isinstance(home, LoadedDocument)
    assert home.title == "Facilities"
    assert "Facilities runs the offices." in all_text(home)


def test_broken_confluence_page_or_attachment_is_reported_and_the_rest_still_load(
    tmp_path: Path,
) -> None:
    root = copy_export(tmp_path)
    (root / "Broken_2003.html").write_text("<html><body>half a page", encoding="utf-8")
    shutil.copy(BAD / "encrypted.pdf", root / "attachments" / "2002" / "3003.pdf")

    items = load_export(root)

    assert items["Broken_2003.html"] == FileError(
        "Broken_2003.html", "no #main-content element; not a Confluence page export"
    )
    locked = items["attachments/2002/3003.pdf"]
    assert isinstance(locked, FileError)
    assert locked.reason.startswith("PDF is encrypted")
    assert isinstance(items["Visitor-Policy_2002.html"], LoadedDocument)
    assert isinstance(items["attachments/2002/3001.pdf"], LoadedDocument)


def test_confluence_page_named_only_by_id_and_without_text_of_its_own(tmp_path: Path) -> None:
    root = copy_export(tmp_path)
    page = (root / "Office-Wifi_2001.html").read_text(encoding="utf-8")
    (root / "2004.html").write_text(
        page.replace("Office Wi-Fi", "Café Rules").replace("2001", "2004"), encoding="utf-8"
    )
    empty = page.split('<div id="main-content" class="wiki-content group">')
    (root / "Parent_2005.html").write_text(
        empty[0] + '<div id="main-content" class="wiki-content group">\n</div></body></html>',
        encoding="utf-8",
    )

    items = load_export(root)

    cafe = items["2004.html"]
    assert isinstance(cafe, LoadedDocument)
    assert (cafe.title, cafe.url) == ("Café Rules", f"{WIKI_URL}/pages/viewpage.action?pageId=2004")
    assert "Parent_2005.html" not in items  # parents that only list children are skipped
