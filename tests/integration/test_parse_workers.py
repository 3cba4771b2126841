"""Parse workers: a file that crashes, hangs or exhausts its parser fails alone."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from indexer.jobs import FileJob
from indexer.limits import MB, Limits
from indexer.records import FileError, LoadedDocument, Source, SourceFile
from indexer.workers import ParsePool
from tests.fakes.parse_jobs import MisbehavingJob


def _good_job(root: Path, name: str = "pto.md") -> FileJob:
    path = root / name
    path.write_text("# Paid time off\n\nEvery employee gets 20 vacation days per year.\n")
    source = Source(name="kb", kind="files", path=root)
    return FileJob(SourceFile(source=source, path=path, relative=name))


def _bad(tmp_path: Path, how: str) -> MisbehavingJob:
    return MisbehavingJob(path=f"{how}.pdf", file=tmp_path / f"{how}.pdf", how=how)


async def test_a_good_file_is_parsed_in_a_worker(tmp_path: Path) -> None:
    async with ParsePool(Limits(parse_workers=1)) as pool:
        result = await pool.run(_good_job(tmp_path))

    [document] = result.items
    assert isinstance(document, LoadedDocument)
    assert document.title == "Paid time off"


async def test_a_parser_that_crashes_fails_its_file_and_the_next_file_is_parsed(
    tmp_path: Path,
) -> None:
    async with ParsePool(Limits(parse_workers=1)) as pool:
        crashed = await pool.run(_bad(tmp_path, "crash"))
        after = await pool.run(_good_job(tmp_path))

    assert crashed.items == (
        FileError("crash.pdf", "the parser process died while reading it (exit code 70)"),
    )
    assert isinstance(after.items[0], LoadedDocument)


async def test_a_parser_that_hangs_is_stopped_at_the_time_limit(tmp_path: Path) -> None:
    async with ParsePool(Limits(parse_workers=1, parse_timeout=1.0)) as pool:
        started = time.perf_counter()
        hung = await pool.run(_bad(tmp_path, "hang"))
        seconds = time.perf_counter() - started
        after = await pool.run(_good_job(tmp_path))

    assert hung.items == (
        FileError("hang.pdf", "took longer than 1 s to parse (DESKMATE_PARSE_TIMEOUT); stopped"),
    )
    assert seconds < 30  # not the hour the parser wanted
    assert isinstance(after.items[0], LoadedDocument)


async def test_a_parser_that_exhausts_memory_fails_at_the_memory_limit(tmp_path: Path) -> None:
    async with ParsePool(Limits(parse_workers=1, parse_memory_bytes=1024 * MB)) as pool:
        result = await pool.run(_bad(tmp_path, "memory"))

    [error] = result.items
    assert isinstance(error, FileError)
    assert "DESKMATE_PARSE_MEMORY_MB" in error.reason


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("recursion", "too deeply nested to read (RecursionError)"),
        ("library-error", "could not read file (KeyError)"),
    ],
)
async def test_any_exception_of_a_parser_is_its_files_error(
    tmp_path: Path, how: str, reason: str
) -> None:
    async with ParsePool(Limits(parse_workers=1)) as pool:
        result = await pool.run(_bad(tmp_path, how))

    assert result.items == (FileError(f"{how}.pdf", reason),)


async def test_workers_parse_in_parallel_and_one_hang_does_not_stop_the_others(
    tmp_path: Path,
) -> None:
    good = [_good_job(tmp_path, f"doc-{n}.md") for n in range(6)]
    async with ParsePool(Limits(parse_workers=2, parse_timeout=2.0)) as pool:
        results = await asyncio.gather(
            pool.run(_bad(tmp_path, "hang")), *(pool.run(job) for job in good)
        )

    assert isinstance(results[0].items[0], FileError)
    assert all(isinstance(r.items[0], LoadedDocument) for r in results[1:])
