"""Bad input through the whole indexer, against the real database: one bad file fails alone.

The first three tests are the failures quoted in issue 11, each with a fixture the test writes.
"""

from __future__ import annotations

import json
import shutil
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from adapters.cli import app
from adapters.runtime import Runtime, open_runtime
from bot.embeddings import HashingEmbedder
from bot.models import EVERYONE
from indexer.pipeline import Indexer
from indexer.records import Source
from indexer.sources import load_sources
from tests.conftest import EXAMPLES, FIXTURES, make_settings
from tests.fixtures.hostile import copy_protected_pdf, deep_html, unsafe_zip, zip_bomb

PTO = "# Paid time off\n\n## Vacation\nEvery employee gets 20 vacation days per year.\n"
runner = CliRunner()


def _source(root: Path, kind: str = "files") -> Source:
    return Source(name="kb", kind=kind, path=root)


def _folder(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    root.mkdir()
    (root / "pto.md").write_text(PTO)
    return root


def _reasons(summary_errors: Sequence[object]) -> dict[str, str]:
    return {e.path: e.reason for e in summary_errors}  # type: ignore[attr-defined]


def _env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "DESKMATE_DATA_DIR": str(tmp_path / "data"),
        "DESKMATE_SOURCES": str(EXAMPLES / "sources.yaml"),
        "DESKMATE_GROUPS": str(EXAMPLES / "groups.yaml"),
    }


async def test_50000_nested_divs_fail_alone_and_the_run_goes_on(
    runtime: Runtime, tmp_path: Path
) -> None:
    root = _folder(tmp_path)
    deep_html(root / "deep.html", depth=50_000)

    summary = await runtime.index([_source(root)], "test")

    assert _reasons(summary.errors) == {
        "deep.html": "HTML nests more than 1,000 elements deep (DESKMATE_HTML_MAX_DEPTH)"
    }
    assert summary.added == 1
    assert (await runtime.store.runs.recent(1))[0].status == "completed_with_errors"


async def test_a_copy_protected_pdf_whose_text_holds_nul_is_indexed_without_it(
    runtime: Runtime, tmp_path: Path
) -> None:
    root = _folder(tmp_path)
    copy_protected_pdf(root / "expenses.pdf", "Expense claims are due within 30 days of travel.")

    summary = await runtime.index([_source(root)], "test")

    assert (summary.added, summary.failed) == (2, 0)
    retrieved = await runtime.engine.retriever.retrieve("expense claims due", {EVERYONE})
    [chunk] = [c for c in retrieved.chunks if c.title == "expenses"]
    assert "claims are due within 30 days" in chunk.text
    assert "\x00" not in chunk.text


def test_a_2_mb_zip_of_2_gib_of_zeros_is_refused_fast_and_writes_nothing(
    empty_db: str, tmp_path: Path
) -> None:
    bomb = zip_bomb(tmp_path / "bomb.zip", gib=2)

    started = time.perf_counter()
    result = runner.invoke(app, ["index", str(bomb)], env=_env(empty_db, tmp_path))
    seconds = time.perf_counter() - started

    assert result.exit_code == 1
    assert "DESKMATE_ZIP_MAX_RATIO" in result.output
    assert "nothing extracted" in result.output
    assert "Traceback" not in result.output
    assert seconds < 10
    assert not (tmp_path / "data" / "extracted").exists()


def test_unsafe_zip_entries_are_refused_and_reported_and_the_rest_indexed(
    empty_db: str, tmp_path: Path
) -> None:
    archive = unsafe_zip(tmp_path / "export.zip", {"export/pto.md": PTO})

    result = runner.invoke(app, ["index", str(archive), "--json"], env=_env(empty_db, tmp_path))

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["added"] == 1
    assert {e["path"] for e in summary["errors"]} == {
        "../escaped.md",
        "/etc/absolute.md",
        "link-to-passwd.md",
    }
    assert not (tmp_path / "data" / "escaped.md").exists()


async def test_a_zip_in_sources_yaml_is_extracted_and_a_bad_one_keeps_the_indexed_version(
    runtime: Runtime, tmp_path: Path
) -> None:
    archive = tmp_path / "hr-export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("handbook/pto.md", PTO)
    (tmp_path / "sources.yaml").write_text("sources:\n  - name: hr\n    path: hr-export.zip\n")
    [source] = load_sources(tmp_path / "sources.yaml")

    first = await runtime.index([source], "test")
    zip_bomb(archive, gib=1)  # the next export is a zip bomb
    second = await runtime.index([source], "test")
    retrieved = await runtime.engine.retriever.retrieve("vacation days", {EVERYONE})

    assert (first.added, first.failed) == (1, 0)
    [error] = second.errors
    assert error.path == str(archive)
    assert "DESKMATE_ZIP_MAX_RATIO" in error.reason
    assert error.reason.endswith("indexed version kept")
    assert (second.deleted, second.failed) == (0, 1)
    assert "20 vacation days" in retrieved.chunks[0].text


async def test_a_file_over_the_size_limit_is_not_read_and_its_previous_version_stays(
    empty_db: str, tmp_path: Path
) -> None:
    root = _folder(tmp_path)
    async with open_runtime(make_settings(empty_db, tmp_path, max_file_mb=0.01)) as runtime:
        await runtime.index([_source(root)], "test")
        (root / "pto.md").write_text(PTO + "Carry-over is 5 days.\n" * 1000)  # 22 KB

        summary = await runtime.index([_source(root)], "test")
        retrieved = await runtime.engine.retriever.retrieve("vacation days", {EVERYONE})

    reason = _reasons(summary.errors)["pto.md"]
    assert reason.startswith("file is 22,")
    assert "over the limit of 10,485 bytes (DESKMATE_MAX_FILE_MB); not read" in reason
    assert (summary.updated, summary.deleted) == (0, 0)
    assert "20 vacation days" in retrieved.chunks[0].text


async def test_a_document_over_the_text_limit_is_reported(empty_db: str, tmp_path: Path) -> None:
    root = _folder(tmp_path)
    (root / "big.txt").write_text("All hands on Friday.\n" * 100)

    async with open_runtime(make_settings(empty_db, tmp_path, max_text_chars=1000)) as runtime:
        summary = await runtime.index([_source(root)], "test")

    assert _reasons(summary.errors) == {
        "big.txt": "extracted text is 2,099 characters, over the limit of 1,000 "
        "(DESKMATE_MAX_TEXT_CHARS)"
    }
    assert summary.added == 1


async def test_a_confluence_page_that_fails_keeps_its_attachments(
    runtime: Runtime, tmp_path: Path
) -> None:
    root = Path(shutil.copytree(FIXTURES / "confluence", tmp_path / "FAC"))
    first = await runtime.index([_source(root, "confluence")], "test")
    page = root / "Visitor-Policy_2002.html"
    page.write_text(page.read_text().replace('id="main-content"', 'id="gone"'))

    summary = await runtime.index([_source(root, "confluence")], "test")

    assert list(_reasons(summary.errors)) == ["Visitor-Policy_2002.html"]
    assert summary.deleted == 0
    stats = await runtime.store.stats()
    assert stats[0].documents == first.added


class PoisonedEmbedder:
    """Hashing embeddings, except that it raises on one text and returns NaN for another."""

    name = "fake-poisoned"
    dimensions = HashingEmbedder.dimensions

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if any("POISON" in t for t in texts):
            raise ValueError("the model cannot take this text")
        vectors = HashingEmbedder().embed(texts)
        for row, text in enumerate(texts):
            if "NOT-A-NUMBER" in text:
                vectors[row] = np.nan  # pgvector refuses NaN: a database error from content
        return vectors


async def test_a_document_the_embedder_or_the_database_refuses_fails_alone(
    runtime: Runtime, tmp_path: Path
) -> None:
    root = _folder(tmp_path)
    (root / "poison.md").write_text("# Poison\n\nPOISON text the embedder cannot take.\n")
    (root / "nan.md").write_text("# NaN\n\nNOT-A-NUMBER is what this embeds to.\n")

    summary = await Indexer(runtime.store, PoisonedEmbedder()).run([_source(root)], "test")

    assert _reasons(summary.errors) == {
        "poison.md": "could not embed its text (ValueError)",
        "nan.md": "could not embed its text (DataException)",  # the embedding cache refused it
    }
    assert summary.added == 1
    assert [(s.source, s.documents) for s in await runtime.store.stats()] == [("kb", 1)]
