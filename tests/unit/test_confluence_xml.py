"""Confluence XML space exports, built by the tests in the real `entities.xml` format."""

from __future__ import annotations

import io
from pathlib import Path

import docx

from indexer.loaders.confluence_xml import is_xml_export, load_xml_export
from indexer.pipeline import load_source
from indexer.records import FileError, LoadedDocument, Source
from tests.confluence_xml_export import XmlExport

BASE = "https://wiki.example.com"
POLICY_V1 = "<h1>Travel</h1><p>Book economy class for flights under 3 hours.</p>"
POLICY_V2 = (
    "<h1>Travel</h1><p>Book economy class for flights under 6 hours.</p>"
    '<ac:structured-macro ac:name="info"><ac:parameter ac:name="icon">true</ac:parameter>'
    '<ac:rich-text-body><p>Ask <ac:link><ri:user ri:userkey="u1" /></ac:link> first.</p>'
    "</ac:rich-text-body></ac:structured-macro>"
)


def _docx_bytes(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _export() -> XmlExport:
    export = XmlExport()
    export.space("100", "HR", "Human Resources")
    export.user("u1", "Dana Reyes")
    export.page("1", "HR Home", "<p>Welcome to HR.</p>", space="100")
    export.page("2", "Policies", "", space="100", parent="1")
    # the current version of "Travel policy" and an older version that points to it
    export.page("3", "Travel policy", POLICY_V2, space="100", parent="2", version=2)
    export.page("30", "Travel policy", POLICY_V1, space="100", original="3", version=1)
    export.page(
        "4", "Old bonus scheme", "<p>Bonus paid in March.</p>", space="100", status="deleted"
    )
    export.page("5", "Draft reorg", "<p>Secret reorg plan.</p>", space="100", status="draft")
    export.page("6", "Team news", "<p>The offsite is in May.</p>", space="100", kind="BlogPost")
    export.attachment("700", "3", "per-diem.docx", _docx_bytes("Per diem is 60 EUR a day."))
    export.attachment("701", "3", "map.png", b"\x89PNG not indexed")
    return export


def _load(root: Path) -> list[LoadedDocument | FileError]:
    source = Source(name="hr", kind="confluence-xml", path=root, base_url=BASE)
    return list(load_xml_export(source, root))


def _documents(items: list[LoadedDocument | FileError]) -> dict[str, LoadedDocument]:
    return {item.title: item for item in items if isinstance(item, LoadedDocument)}


def test_only_current_versions_of_pages_and_blog_posts_are_indexed(tmp_path: Path) -> None:
    documents = _documents(_load(_export().write(tmp_path / "export")))

    assert sorted(documents) == [
        "HR Home",
        "Team news",
        "Travel policy",
        "per-diem.docx (attachment of Travel policy)",
    ]
    text = documents["Travel policy"].sections[0].text
    assert "under 6 hours" in text
    assert "under 3 hours" not in text


def test_pages_carry_breadcrumbs_from_the_hierarchy_and_link_to_their_page_id(
    tmp_path: Path,
) -> None:
    page = _documents(_load(_export().write(tmp_path / "export")))["Travel policy"]

    assert page.breadcrumbs == ("Human Resources", "HR Home", "Policies")
    assert page.path == "pages/3"
    assert page.url == f"{BASE}/pages/viewpage.action?pageId=3"
    assert page.sections[0].headings == ("Travel",)
    assert page.updated_at is not None
    assert page.updated_at.year == 2026


def test_macros_and_mentions_are_converted_to_text(tmp_path: Path) -> None:
    page = _documents(_load(_export().write(tmp_path / "export")))["Travel policy"]

    assert "Info:\nAsk @Dana Reyes first." in page.sections[0].text
    assert "icon" not in page.sections[0].text


def test_office_attachments_become_documents_linked_to_their_page(tmp_path: Path) -> None:
    documents = _documents(_load(_export().write(tmp_path / "export")))

    attachment = documents["per-diem.docx (attachment of Travel policy)"]
    assert attachment.parent_path == "pages/3"
    assert attachment.breadcrumbs == ("Human Resources", "HR Home", "Policies", "Travel policy")
    assert "60 EUR" in attachment.sections[0].text
    assert attachment.url == f"{BASE}/download/attachments/3/per-diem.docx"


def test_a_zipped_export_is_read_without_extracting_it(tmp_path: Path) -> None:
    archive = _export().write_zip(tmp_path / "HR.zip")

    assert is_xml_export(archive)
    assert sorted(_documents(_load(archive))) == sorted(
        _documents(_load(_export().write(tmp_path / "export")))
    )


def test_an_export_folder_is_detected_by_its_entities_file(tmp_path: Path) -> None:
    root = _export().write(tmp_path / "export")
    source = Source(name="hr", kind="auto", path=root)

    titles = {item.title for item in load_source(source) if isinstance(item, LoadedDocument)}

    assert "Travel policy" in titles
    assert not is_xml_export(tmp_path)


def test_a_missing_or_broken_attachment_is_reported_and_the_pages_still_load(
    tmp_path: Path,
) -> None:
    export = _export()
    export.attachment("702", "1", "handbook.pdf", b"%PDF-1.4 broken")
    root = export.write(tmp_path / "export")
    (root / "attachments/3/700/1").unlink()

    items = _load(root)

    errors = {e.path: e.reason for e in items if isinstance(e, FileError)}
    assert errors["attachments/3/per-diem.docx"] == "attachment file missing from the export"
    assert "not a valid PDF" in errors["attachments/1/handbook.pdf"]
    assert "Travel policy" in _documents(items)


def test_a_truncated_entities_file_is_one_clear_error(tmp_path: Path) -> None:
    root = _export().write(tmp_path / "export")
    data = (root / "entities.xml").read_bytes()
    (root / "entities.xml").write_bytes(data[: len(data) // 2])

    items = _load(root)

    assert [type(i) for i in items] == [FileError]
    assert isinstance(items[0], FileError)
    assert "not a readable Confluence XML export" in items[0].reason
