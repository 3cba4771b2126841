"""The indexing pipeline: discover -> load -> chunk -> embed -> store, one source at a time.

Unchanged documents (same content hash) are skipped; changed ones are replaced in one
transaction; vanished ones are deleted. A file that fails to load is reported and skipped,
and its previous version stays searchable. One run at a time across every process: the run
holds the store's re-index lock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Protocol

from bot.embeddings import Embedder
from bot.errors import EmptyFile, LoadError
from bot.store import Store
from bot.store.documents import ChunkRow, DocumentRow
from indexer.chunking import chunk_document
from indexer.discover import discover_files
from indexer.embedding import CachedEmbedder
from indexer.loaders import UnsupportedFile, load_file
from indexer.loaders.confluence import is_confluence_export, load_confluence_export
from indexer.records import ChunkedDocument, FileError, LoadedDocument, Source

log = logging.getLogger(__name__)

BATCH_CHUNKS = 256


class Progress(Protocol):
    def start(self, source: str) -> None: ...
    def advance(self, path: str) -> None: ...


class NoProgress:
    def start(self, source: str) -> None:
        pass

    def advance(self, path: str) -> None:
        pass


@dataclass
class RunSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0
    skipped: int = 0
    chunks: int = 0
    embedded: int = 0
    cached: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    store_seconds: float = 0.0
    errors: list[FileError] = field(default_factory=list)
    skipped_files: list[FileError] = field(default_factory=list)
    run_id: int | None = None

    @property
    def chunks_per_second(self) -> float:
        return self.chunks / self.seconds if self.seconds else 0.0

    def counts(self) -> dict[str, float]:
        data = asdict(self)
        for key in ("errors", "skipped_files", "run_id"):
            data.pop(key)
        return data


def load_source(source: Source) -> Iterator[LoadedDocument | FileError]:
    """Stage 2: every document of a source, or a `FileError` for each file that failed."""
    if source.kind == "confluence" or (source.kind == "auto" and is_confluence_export(source.path)):
        yield from load_confluence_export(source, source.path)
        return
    for file in discover_files(source):
        try:
            yield from load_file(file)
        except (UnsupportedFile, EmptyFile) as exc:
            yield FileError(file.relative, f"skipped: {exc}")
        except LoadError as exc:
            yield FileError(file.relative, str(exc))


class Indexer:
    def __init__(self, store: Store, embedder: Embedder, progress: Progress | None = None):
        self._store = store
        self._embedder = CachedEmbedder(embedder, store.documents)
        self._progress = progress or NoProgress()

    async def run(self, sources: Sequence[Source], trigger: str) -> RunSummary:
        """Index `sources` under the re-index lock, recording the run; raises `ReindexRunning`."""
        async with self._store.runs.exclusive():
            await self._store.runs.mark_abandoned()
            run_id = await self._store.runs.start(trigger, [s.name for s in sources])
            summary = RunSummary(run_id=run_id)
            started = time.perf_counter()
            status = "failed"
            try:
                for source in sources:
                    await self._index_source(source, summary)
                if summary.added or summary.updated or summary.deleted:
                    await self._store.documents.refresh_lexeme_stats()
                status = "succeeded" if not summary.errors else "completed_with_errors"
            finally:
                summary.seconds = time.perf_counter() - started
                await self._store.runs.finish(
                    run_id,
                    status,
                    summary.counts(),
                    [asdict(e) for e in summary.errors],
                )
            return summary

    async def _index_source(self, source: Source, summary: RunSummary) -> None:
        self._progress.start(source.name)
        if not source.path.is_dir():
            summary.errors.append(
                FileError(str(source.path), f"source {source.name}: folder not found; kept")
            )
            summary.failed += 1
            return
        stored = await self._store.documents.hashes(source.name)
        await self._store.documents.set_audience(source.name, source.audience)
        seen: set[str] = set()
        batch: list[ChunkedDocument] = []
        items = await asyncio.to_thread(lambda: list(load_source(source)))
        for item in items:
            self._progress.advance(item.path)
            if isinstance(item, FileError):
                self._record_error(item, summary)
                seen.add(item.path)
                continue
            seen.add(item.path)
            if stored.get(item.path) == item.content_hash:
                summary.unchanged += 1
                continue
            batch.append(ChunkedDocument(item, chunk_document(item), source.audience))
            if sum(len(d.chunks) for d in batch) >= BATCH_CHUNKS:
                await self._write(batch, stored, summary)
                batch = []
        await self._write(batch, stored, summary)
        await self._delete_vanished(source, stored, seen, summary)

    @staticmethod
    def _record_error(error: FileError, summary: RunSummary) -> None:
        if error.reason.startswith("skipped:"):
            summary.skipped += 1
            summary.skipped_files.append(error)
        else:
            log.warning("could not index %s: %s", error.path, error.reason)
            summary.failed += 1
            summary.errors.append(error)

    async def _write(
        self, batch: list[ChunkedDocument], stored: dict[str, str], summary: RunSummary
    ) -> None:
        if not batch:
            return
        texts = [chunk.embed_text for doc in batch for chunk in doc.chunks]
        started = time.perf_counter()
        vectors, embedded = await self._embedder.embed(texts)
        summary.embed_seconds += time.perf_counter() - started
        summary.embedded += embedded
        summary.cached += len(texts) - embedded
        started = time.perf_counter()
        offset = 0
        for doc in batch:
            rows = [
                ChunkRow(c.ordinal, c.heading_path, c.text, c.page, vectors[offset + i])
                for i, c in enumerate(doc.chunks)
            ]
            offset += len(rows)
            await self._store.documents.replace(_document_row(doc), rows)
            summary.chunks += len(rows)
            if doc.document.path in stored:
                summary.updated += 1
            else:
                summary.added += 1
        summary.store_seconds += time.perf_counter() - started

    async def _delete_vanished(
        self, source: Source, stored: dict[str, str], seen: set[str], summary: RunSummary
    ) -> None:
        vanished = sorted(set(stored) - seen)
        if vanished and not seen:
            summary.errors.append(
                FileError(str(source.path), f"source {source.name} is empty; kept its documents")
            )
            summary.failed += 1
            return
        summary.deleted += await self._store.documents.delete(source.name, vanished)


def _document_row(doc: ChunkedDocument) -> DocumentRow:
    d = doc.document
    return DocumentRow(
        source=d.source,
        path=d.path,
        title=d.title,
        url=d.url,
        parent_path=d.parent_path,
        breadcrumbs=d.breadcrumbs,
        content_hash=d.content_hash,
        audience=doc.audience,
        updated_at=d.updated_at,
    )
