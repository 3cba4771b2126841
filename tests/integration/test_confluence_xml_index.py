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


def _restricted_export() -> XmlExport:
    export = XmlExport()
    export.space("100", "HR", "Human Resources")
    export.user("u-dana", "dana", email="Dana@Acme.example")
    export.user("u-ghost", "ghost")  # no e-mail in the export
    export.page("1", "HR Home", "<p>Welcome to the HR space.</p>", space="100")
    export.page("2", "Salaries", "<p>Salary bands are reviewed in April.</p>", space="100")
    export.page("3", "Band details", "<p>Band E starts at 90k.</p>", space="100", parent="2")
    export.page("4", "Offsite", "<p>The offsite is in Lisbon.</p>", space="100")
    export.page("5", "Ghost notes", "<p>The ghost budget is 5k.</p>", space="100")
    export.restrict("2", groups=("hr",))
    export.restrict("2", kind="Edit", groups=("hr-admins",))  # editing is not reading
    export.restrict("4", users=("u-dana",))
    export.restrict("5", users=("u-ghost",))
    return export


async def _audiences(runtime: Runtime) -> dict[str, tuple[str, ...]]:
    return await runtime.store.documents.audiences("hr")


async def test_view_restrictions_in_an_xml_export_become_each_page_s_audience(
    runtime: Runtime, tmp_path: Path
) -> None:
    source = Source(name="hr", kind="auto", path=_restricted_export().write(tmp_path / "x"))

    await runtime.index([source], "test")
    audiences = await _audiences(runtime)
    everyone = await runtime.engine.retriever.retrieve("salary bands", frozenset({EVERYONE}))
    hr = await runtime.engine.retriever.retrieve("salary bands", frozenset({EVERYONE, "hr"}))

    assert audiences == {
        "pages/1": (EVERYONE,),
        "pages/2": ("hr",),
        "pages/3": ("hr",),  # inherited from its restricted parent
        "pages/4": ("user:dana@acme.example",),
        "pages/5": ("confluence-user:u-ghost",),  # nobody matches: restricted, not opened up
    }
    assert "Salaries" not in {c.title for c in everyone.chunks}
    assert "Salaries" in {c.title for c in hr.chunks}


async def test_a_restriction_lifted_in_the_next_export_opens_the_page_without_re_embedding(
    runtime: Runtime, tmp_path: Path
) -> None:
    await runtime.index([Source("hr", "auto", _restricted_export().write(tmp_path / "a"))], "t")
    lifted = _restricted_export()
    lifted.objects = [
        o
        for o in lifted.objects
        if '<id name="id">2</id></property>' not in o or "ContentPermissionSet" not in o
    ]

    summary = await runtime.index([Source("hr", "auto", lifted.write(tmp_path / "b"))], "t")
    audiences = await _audiences(runtime)

    assert (summary.updated, summary.added, summary.unchanged) == (0, 0, 5)
    assert audiences["pages/2"] == (EVERYONE,)
    assert audiences["pages/3"] == (EVERYONE,)
    assert audiences["pages/4"] == ("user:dana@acme.example",)
