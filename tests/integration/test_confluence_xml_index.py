"""A Confluence XML space export indexed end to end, zipped, against the real database."""

from __future__ import annotations

from pathlib import Path

from adapters.runtime import Runtime
from bot.models import EVERYONE
from indexer.records import Source
from tests.confluence_xml_export import XmlExport


def _export(hours: int, *, with_faq: bool = True) -> XmlExport:
    export = XmlExport()
    export.space("100", "HR", "Human Resources")
    export.page("1", "HR Home", "<p>Welcome to the HR space.</p>", space="100")
    if with_faq:
        export.page("2", "FAQ", "<p>Payslips arrive on the 25th.</p>", space="100", parent="1")
    body = f"<h1>Flights</h1><p>Book economy class for flights under {hours} hours.</p>"
    export.page("3", "Travel policy", body, space="100", parent="1", version=2)
    export.page("30", "Travel policy", "<p>Always fly business.</p>", space="100", original="3")
    export.page(
        "4", "Old bonus scheme", "<p>Bonus paid in March.</p>", space="100", status="deleted"
    )
    return export


async def test_a_zipped_xml_export_is_indexed_and_answers_from_the_current_version(
    runtime: Runtime, tmp_path: Path
) -> None:
    archive = _export(6).write_zip(tmp_path / "HR.zip")
    source = Source(name="hr", kind="confluence-xml", path=archive)

    summary = await runtime.index([source], "test")

    assert (summary.added, summary.failed) == (3, 0)
    found = await runtime.engine.retriever.retrieve("flight class", frozenset({EVERYONE}))
    assert found.chunks[0].title == "Travel policy"
    assert found.chunks[0].heading_path == ("Travel policy", "Flights")
    texts = " ".join(c.text for c in found.chunks)
    assert "business" not in texts
    assert "Bonus" not in texts


async def test_a_new_export_replaces_changed_pages_and_drops_removed_ones(
    runtime: Runtime, tmp_path: Path
) -> None:
    source = Source(name="hr", kind="auto", path=_export(6).write(tmp_path / "v1"))
    await runtime.index([source], "test")
    later = Source(name="hr", kind="auto", path=_export(4, with_faq=False).write(tmp_path / "v2"))

    summary = await runtime.index([later], "test")

    assert (summary.updated, summary.deleted) == (1, 1)
    found = await runtime.engine.retriever.retrieve("flight class", frozenset({EVERYONE}))
    assert "under 4 hours" in found.chunks[0].text
