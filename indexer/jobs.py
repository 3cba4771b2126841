"""Stage 2: turn a source into parse jobs, and run one job inside the limits.

`execute` is the one place a file's parse is isolated: whatever a parser raises (`LoadError`,
`RecursionError`, `MemoryError`, a library's own exception) becomes that file's `FileError`,
and every document leaves with its text made safe for the database. Parse workers call it;
so does `load_source`, which parses in the calling process (benchmarks, tools).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.errors import EmptyFile, LoadError
from indexer.discover import discover_files
from indexer.limits import Limits, applied, describe_bytes
from indexer.loaders import UnsupportedFile, load_file
from indexer.loaders.confluence import confluence_jobs, is_confluence_export
from indexer.loaders.confluence_xml import is_xml_export, xml_jobs
from indexer.records import FileError, Job, JobResult, LoadedDocument, Source, SourceFile
from indexer.safetext import safe_document

log = logging.getLogger(__name__)

TOO_DEEP = "too deeply nested to read (RecursionError)"
OUT_OF_MEMORY = "ran out of memory while parsing (limit: DESKMATE_PARSE_MEMORY_MB)"


@dataclass(frozen=True)
class FileJob:
    """One file of a `files` source (or of a folder given on the command line)."""

    source_file: SourceFile
    keeps: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return self.source_file.relative

    @property
    def file(self) -> Path:
        return self.source_file.path

    def run(self) -> JobResult:
        try:
            return JobResult(tuple(load_file(self.source_file)))
        except (UnsupportedFile, EmptyFile) as exc:
            return JobResult((FileError(self.path, str(exc), kind="skipped"),))


def source_jobs(source: Source) -> Iterator[Job | FileError]:
    """The parse jobs of a source, found lazily (discovery never holds the whole source)."""
    if source.kind == "confluence-xml" or (source.kind == "auto" and is_xml_export(source.path)):
        yield from xml_jobs(source, source.path)
        return
    if source.kind == "confluence" or (source.kind == "auto" and is_confluence_export(source.path)):
        yield from confluence_jobs(source, source.path)
        return
    for found in discover_files(source):
        yield found if isinstance(found, FileError) else FileJob(found)


def execute(job: Job, limits: Limits) -> JobResult:
    """Run `job` within `limits`; a failure of any kind is the job's own `FileError`."""
    refused = _over_size(job, limits)
    if refused:
        return failed(job, refused)
    try:
        with applied(limits):
            result = job.run()
    except LoadError as exc:
        return failed(job, str(exc))
    except RecursionError:
        return failed(job, TOO_DEEP)
    except MemoryError:
        return failed(job, OUT_OF_MEMORY)
    except Exception as exc:
        log.debug("parser failed on %s", job.path, exc_info=True)
        return failed(job, f"could not read file ({type(exc).__name__})")
    items = tuple(_within_text_limit(item, limits) for item in result.items)
    return JobResult(items, result.more, result.kept)


def failed(job: Job, reason: str) -> JobResult:
    """The result of a job that produced nothing: its error, and the paths it keeps."""
    return JobResult((FileError(job.path, reason),), kept=job.keeps)


def run_in_process(job: Job, limits: Limits) -> Iterator[LoadedDocument | FileError]:
    """Every item of `job` and of the jobs it finds, parsed here (no time limit)."""
    result = execute(job, limits)
    yield from result.items
    for more in result.more:
        yield from run_in_process(more, limits)


def _over_size(job: Job, limits: Limits) -> str | None:
    try:
        size = job.file.stat().st_size
    except OSError:
        return None  # the loader reports what is wrong with reading it
    if size <= limits.max_file_bytes:
        return None
    return (
        f"file is {describe_bytes(size)}, over the limit of "
        f"{describe_bytes(limits.max_file_bytes)} (DESKMATE_MAX_FILE_MB); not read"
    )


def _within_text_limit(
    item: LoadedDocument | FileError, limits: Limits
) -> LoadedDocument | FileError:
    if isinstance(item, FileError):
        return item
    chars = sum(len(section.text) for section in item.sections)
    if chars > limits.max_text_chars:
        return FileError(
            item.path,
            f"extracted text is {chars:,} characters, over the limit of "
            f"{limits.max_text_chars:,} (DESKMATE_MAX_TEXT_CHARS)",
        )
    return safe_document(item)
