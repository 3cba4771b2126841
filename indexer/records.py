"""Typed records passed between the indexer's stages: discover, load, chunk, embed, store."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

FileErrorKind = Literal["failed", "skipped"]

LIVE_KINDS = frozenset({"confluence-cloud", "confluence-datacenter"})


@dataclass(frozen=True)
class Source:
    """One configured knowledge source (an entry of `sources.yaml`).

    Exports and files are read from `path`; live wikis (`confluence-cloud`,
    `confluence-datacenter`) from `base_url`, scoped by `spaces` or `cql`, with per-page
    audiences (`audience` then only applies where the site cannot tell: Data Center spaces).
    """

    name: str
    kind: str  # "confluence" (HTML space export), "confluence-xml", "files", "auto", or live
    path: Path
    base_url: str | None = None
    audience: tuple[str, ...] = ("everyone",)
    contact: str | None = None
    rejected: tuple[FileError, ...] = ()  # entries refused when a zip export was extracted
    spaces: tuple[str, ...] = ()
    cql: str | None = None
    everyone_groups: tuple[str, ...] = ()

    @property
    def live(self) -> bool:
        return self.kind in LIVE_KINDS


@dataclass(frozen=True)
class SourceFile:
    """A file found by discovery, addressed relative to its source root."""

    source: Source
    path: Path  # absolute path on disk
    relative: str  # stable id inside the source, with forward slashes


@dataclass(frozen=True)
class Section:
    """A run of text under one heading path; `page` is set for paged formats (PDF)."""

    text: str
    headings: tuple[str, ...] = ()
    page: int | None = None


# Bump when the same document would be chunked differently (indexer.chunking): every document
# is then chunked again on the next run; unchanged chunk texts keep their cached embeddings.
CHUNKING_VERSION = "2: sections flow over page breaks"


@dataclass(frozen=True)
class LoadedDocument:
    """A document read from a file, before chunking."""

    source: str
    path: str  # relative path inside the source; unique per source
    title: str
    sections: tuple[Section, ...]
    url: str | None = None
    updated_at: datetime | None = None
    parent_path: str | None = None  # e.g. the Confluence page an attachment belongs to
    breadcrumbs: tuple[str, ...] = ()
    # its own readers (a restricted page of a Confluence XML export); None: the source's
    audience: tuple[str, ...] | None = None

    @property
    def content_hash(self) -> str:
        """What decides whether a stored document is indexed again: its content, and the
        version of how content becomes chunks."""
        digest = hashlib.sha256(CHUNKING_VERSION.encode())
        for part in (self.title, self.url or "", *self.breadcrumbs):
            digest.update(part.encode())
            digest.update(b"\x00")
        for section in self.sections:
            digest.update("\x1f".join(section.headings).encode())
            digest.update(str(section.page).encode())
            digest.update(section.text.encode())
            digest.update(b"\x00")
        return digest.hexdigest()


@dataclass(frozen=True)
class ChunkDraft:
    """A chunk ready to embed: its text, where it sits in the document, and its page."""

    ordinal: int
    text: str
    heading_path: tuple[str, ...]
    page: int | None = None
    last_page: int | None = None  # a chunk running over a page break ends here

    @property
    def embed_text(self) -> str:
        """The text given to the embedding model: the heading path gives the chunk its context."""
        return " > ".join(self.heading_path) + "\n" + self.text if self.heading_path else self.text


@dataclass(frozen=True)
class ChunkedDocument:
    document: LoadedDocument
    chunks: tuple[ChunkDraft, ...]
    audience: tuple[str, ...] = field(default=("everyone",))


@dataclass(frozen=True)
class FileError:
    """A file that could not be indexed, and why (written for the person who owns the export)."""

    path: str
    reason: str
    kind: FileErrorKind = "failed"  # "skipped": nothing to index there, not a failure


@dataclass(frozen=True)
class JobResult:
    """What one parse job produced: documents and file errors, and jobs it found to run next.

    `kept` lists path prefixes a failed job still owns (a Confluence page's attachments), so
    their stored documents are not taken for vanished.
    """

    items: tuple[LoadedDocument | FileError, ...] = ()
    more: tuple[Job, ...] = ()
    kept: tuple[str, ...] = ()


class Job(Protocol):
    """One unit of parsing, small enough to fail alone: a file, or a Confluence page.

    Jobs are pickled to a parse worker and run there, so they hold paths, not open files.
    """

    @property
    def path(self) -> str:
        """The id errors are reported under (relative to the source root)."""
        ...

    @property
    def file(self) -> Path:
        """The file on disk this job reads (its size is checked before it is read)."""
        ...

    @property
    def keeps(self) -> tuple[str, ...]:
        """Path prefixes whose stored documents stay when this job fails."""
        ...

    def run(self) -> JobResult: ...


def run_all(job: Job) -> Iterator[LoadedDocument | FileError]:
    """Every item of `job` and of the jobs it finds, run here and now, with no limits: for a
    loader read directly. The indexer runs jobs through `indexer.jobs`, limits and all."""
    result = job.run()
    yield from result.items
    for more in result.more:
        yield from run_all(more)


def relative_id(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()
