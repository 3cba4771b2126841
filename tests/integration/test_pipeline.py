"""The indexer against the real database: incremental runs, failures that lose nothing, the lock."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from adapters.runtime import Runtime, open_runtime
from bot.errors import ReindexRunning
from bot.models import EVERYONE
from indexer.records import Source
from tests.conftest import llm_settings, make_settings
from tests.fakes.openai_server import FakeOpenAI

PTO = "# Paid time off\n\n## Vacation\nEvery employee gets 20 vacation days per year.\n"
VPN = "# VPN\n\nConnect with Halyard Connect and approve the MFA prompt.\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    root.mkdir()
    (root / "pto.md").write_text(PTO)
    (root / "vpn.md").write_text(VPN)
    return root


def _source(root: Path, audience: tuple[str, ...] = (EVERYONE,)) -> Source:
    return Source(name="kb", kind="files", path=root, audience=audience)


async def _titles(runtime: Runtime, query: str, groups: frozenset[str]) -> list[str]:
    retrieved = await runtime.engine.retriever.retrieve(query, groups)
    return [c.title for c in retrieved.chunks]


async def test_first_run_adds_every_document(runtime: Runtime, folder: Path) -> None:
    summary = await runtime.index([_source(folder)], "test")

    assert (summary.added, summary.failed, summary.embedded) == (2, 0, summary.chunks)
    stats = await runtime.store.stats()
    assert [(s.source, s.documents) for s in stats] == [("kb", 2)]


async def test_an_unchanged_rerun_embeds_nothing(runtime: Runtime, folder: Path) -> None:
    await runtime.index([_source(folder)], "test")

    again = await runtime.index([_source(folder)], "test")

    assert (again.added, again.updated, again.unchanged, again.embedded) == (0, 0, 2, 0)


async def test_a_changed_document_is_replaced_and_only_new_text_is_embedded(
    runtime: Runtime, folder: Path
) -> None:
    await runtime.index([_source(folder)], "test")
    (folder / "pto.md").write_text(PTO.replace("20", "25"))

    summary = await runtime.index([_source(folder)], "test")

    assert (summary.updated, summary.unchanged, summary.embedded) == (1, 1, 1)
    retrieved = await runtime.engine.retriever.retrieve("vacation days", {EVERYONE})
    assert "25 vacation days" in retrieved.chunks[0].text
    assert all("20 vacation days" not in c.text for c in retrieved.chunks)


async def test_a_vanished_document_is_deleted(runtime: Runtime, folder: Path) -> None:
    await runtime.index([_source(folder)], "test")
    (folder / "vpn.md").unlink()

    summary = await runtime.index([_source(folder)], "test")

    assert summary.deleted == 1
    assert "VPN" not in await _titles(runtime, "VPN MFA", frozenset({EVERYONE}))


def _write_pdf(path: Path, text: str) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 10, text)
    pdf.output(str(path))


async def test_a_corrupt_file_is_reported_and_its_previous_version_stays_searchable(
    runtime: Runtime, folder: Path
) -> None:
    _write_pdf(
        folder / "travel.pdf", "Book all business travel through Navigo at least 14 days ahead."
    )
    await runtime.index([_source(folder)], "test")
    (folder / "travel.pdf").write_bytes(b"%PDF-1.7 truncated by a failed export")
    (folder / "new.md").write_text("# Parking\n\nThe garage on level B2 is for visitors.")

    summary = await runtime.index([_source(folder)], "test")

    assert [e.path for e in summary.errors] == ["travel.pdf"]
    assert (summary.added, summary.unchanged, summary.deleted) == (1, 2, 0)
    retrieved = await runtime.engine.retriever.retrieve("business travel booking", {EVERYONE})
    assert "Navigo" in retrieved.chunks[0].text
    runs = await runtime.store.runs.recent(1)
    assert runs[0].status == "completed_with_errors"
    assert [e["path"] for e in runs[0].errors] == ["travel.pdf"]


async def test_a_missing_source_folder_keeps_its_documents(runtime: Runtime, folder: Path) -> None:
    await runtime.index([_source(folder)], "test")

    summary = await runtime.index([_source(folder / "gone")], "test")

    assert (summary.failed, summary.deleted) == (1, 0)
    assert (await runtime.store.stats())[0].documents == 2


async def test_a_source_restricted_to_a_group_is_invisible_to_others(
    runtime: Runtime, folder: Path
) -> None:
    await runtime.index([_source(folder, audience=("hr",))], "test")

    assert await _titles(runtime, "vacation days", frozenset({EVERYONE})) == []
    assert "Paid time off" in await _titles(runtime, "vacation days", frozenset({EVERYONE, "hr"}))


async def test_a_changed_audience_applies_without_re_embedding(
    runtime: Runtime, folder: Path
) -> None:
    await runtime.index([_source(folder, audience=("hr",))], "test")

    summary = await runtime.index([_source(folder)], "test")

    assert summary.embedded == 0
    assert "Paid time off" in await _titles(runtime, "vacation days", frozenset({EVERYONE}))


async def test_only_one_run_at_a_time(runtime: Runtime, folder: Path) -> None:
    async with runtime.store.runs.exclusive():
        with pytest.raises(ReindexRunning):
            await runtime.index([_source(folder)], "test")


async def test_a_run_left_running_by_a_dead_process_is_marked_abandoned(
    runtime: Runtime, folder: Path
) -> None:
    await runtime.store.runs.start("crashed", ["kb"])

    await runtime.index([_source(folder)], "test")

    statuses = [r.status for r in await runtime.store.runs.recent(2)]
    assert statuses == ["succeeded", "abandoned"]


async def test_concurrent_runs_one_wins(runtime: Runtime, folder: Path) -> None:
    async with runtime.store.runs.exclusive():  # a run in another process holds the lock
        with pytest.raises(ReindexRunning):
            await runtime.index([_source(folder)], "blocked")
    assert "blocked" not in [r.trigger for r in await runtime.store.runs.recent(5)]

    results = await asyncio.gather(
        runtime.index([_source(folder)], "a"),
        runtime.index([_source(folder)], "b"),
        return_exceptions=True,
    )

    assert sum(isinstance(r, ReindexRunning) for r in results) <= 1
    assert any(not isinstance(r, BaseException) for r in results)


async def test_housekeeping_forgets_expired_conversation_turns(runtime: Runtime) -> None:
    await runtime.store.conversations.append("slack:C1:1", "old question", "old answer")
    async with runtime.store.pool.connection() as conn:
        await conn.execute("UPDATE conversation_turns SET created_at = now() - interval '1 year'")
    await runtime.store.conversations.append("slack:C1:2", "new question", "new answer")

    await runtime.housekeeping()

    assert await runtime.store.conversations.recent("slack:C1:1", 5) == []
    assert await runtime.store.conversations.recent("slack:C1:2", 5) == [
        ("new question", "new answer")
    ]
    async with runtime.store.pool.connection() as conn:
        cur = await conn.execute("SELECT count(*) FROM conversation_turns")
        assert (await cur.fetchone()) == (1,)


async def test_openai_embeddings_are_an_option_through_any_compatible_endpoint(
    empty_db: str, tmp_path: Path, folder: Path, fake_openai: tuple[FakeOpenAI, str]
) -> None:
    fake, base_url = fake_openai
    settings = llm_settings(
        empty_db, tmp_path, base_url, embeddings="openai:text-embedding-3-small"
    )

    async with open_runtime(settings) as runtime:
        summary = await runtime.index([_source(folder)], "test")
        retrieved = await runtime.engine.retriever.retrieve("vacation days", {EVERYONE})

    embedded = [r["body"] for r in fake.requests if r["path"] == "/v1/embeddings"]
    assert summary.added == 2
    assert embedded[0]["model"] == "text-embedding-3-small"
    assert any("Every employee gets 20 vacation days" in str(b["input"]) for b in embedded)
    assert retrieved.chunks[0].title == "Paid time off"


async def test_the_vector_type_is_fixed_when_the_knowledge_base_is_created(
    empty_db: str, tmp_path: Path, folder: Path
) -> None:
    async with open_runtime(make_settings(empty_db, tmp_path, vector_type="halfvec")) as first:
        await first.index([_source(folder)], "test")

    async with open_runtime(make_settings(empty_db, tmp_path, vector_type="vector")) as later:
        retrieved = await later.engine.retriever.retrieve("vacation days", {EVERYONE})
        (folder / "pto.md").write_text(PTO.replace("20", "22"))
        summary = await later.index([_source(folder)], "test")

    assert later.store.vector_type == "halfvec"
    assert retrieved.chunks[0].title == "Paid time off"
    assert summary.updated == 1
