"""The indexing pipeline: discover -> load -> chunk -> embed -> store, streamed, a source at a time.

Files are parsed in a few worker processes (`indexer.workers`) while the embedder runs; parsed
documents wait in a bounded queue, so memory does not grow with the size of a source. Every
stage is isolated per file: a file that fails to parse, chunk, embed or store is reported,
the run goes on, and its previous version stays searchable. Unchanged documents (same content
hash) are skipped; changed ones are replaced in one transaction; vanished ones are deleted
(a file that failed is not vanished). One run at a time across every process: the run holds
the store's re-index lock.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import psycopg
from psycopg_pool import PoolTimeout

from bot.embeddings import Embedder
from bot.errors import ConfigError, DeskmateError
from bot.store import Store, unavailable_as_error
from bot.store.documents import ChunkRow, DocumentRow
from indexer.chunking import chunk_document
from indexer.embedding import CachedEmbedder
from indexer.jobs import run_in_process, source_jobs
from indexer.limits import Limits
from indexer.loaders.confluence_xml import is_xml_export
from indexer.records import ChunkedDocument, FileError, Job, LoadedDocument, Source
from indexer.sources import extracted, is_zip
from indexer.wiki import Credentials, sync_wiki
from indexer.workers import ParsePool

log = logging.getLogger(__name__)

BATCH_CHUNKS = 256
QUEUE_DOCUMENTS = 16  # parsed documents waiting for the embedder, at most

# Failures that are the database's or the model's, not one file's: they end the run.
_NOT_THE_FILE = (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout, DeskmateError)
# Database errors a document's own content can cause: that document fails, the run goes on.
_REFUSED_CONTENT = (
    psycopg.DataError,
    psycopg.IntegrityError,
    psycopg.errors.ProgramLimitExceeded,
    ValueError,
)


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


def load_source(
    source: Source, limits: Limits | None = None
) -> Iterator[LoadedDocument | FileError]:
    """Every document of a source, or a `FileError` for each file that failed, parsed here."""
    for job in source_jobs(source):
        if isinstance(job, FileError):
            yield job
        else:
            yield from run_in_process(job, limits or Limits())


def readers_of(document: LoadedDocument, source: Source) -> tuple[str, ...]:
    """The document's own readers (a restricted Confluence page), else its source's."""
    return source.audience if document.audience is None else document.audience


class Indexer:
    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        progress: Progress | None = None,
        limits: Limits | None = None,
        credentials: Credentials | None = None,
        extract_dir: Path | None = None,
    ):
        self._store = store
        self._embedder = CachedEmbedder(embedder, store.documents)
        self._progress = progress or NoProgress()
        self._limits = limits or Limits()
        self._credentials = credentials or Credentials()
        # where a source given as a `.zip` is extracted, one folder per source
        self._extract_dir = extract_dir or Path(tempfile.gettempdir()) / "deskmate-extracted"

    async def run(self, sources: Sequence[Source], trigger: str) -> RunSummary:
        """Index `sources` under the re-index lock, recording the run; raises `ReindexRunning`,
        and `StoreUnavailable` when the database goes away (the run is then recorded as failed,
        at once or by the next run)."""
        async with unavailable_as_error(), self._store.runs.exclusive():
            await self._store.runs.mark_abandoned()
            run_id = await self._store.runs.start(trigger, [s.name for s in sources])
            summary = RunSummary(run_id=run_id)
            started = time.perf_counter()
            status = "failed"
            try:
                async with ParsePool(self._limits) as pool:
                    for source in sources:
                        await self._index_source(source, pool, summary)
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

    async def _index_source(self, source: Source, pool: ParsePool, summary: RunSummary) -> None:
        self._progress.start(source.name)
        if source.live:
            await sync_wiki(self._store, source, self._credentials, self._write, summary)
            return
        if is_zip(source.path) and not is_xml_export(source.path):
            try:
                source = extracted(source, self._extract_dir, self._limits)
            except ConfigError as exc:  # a zip bomb, a corrupt archive: the indexed version stays
                summary.errors.append(FileError(str(source.path), f"{exc}; indexed version kept"))
                summary.failed += 1
                return
        own_audiences = is_xml_export(source.path)  # restricted pages carry their own readers
        if not (source.path.is_dir() or own_audiences):
            summary.errors.append(
                FileError(str(source.path), f"source {source.name}: folder not found; kept")
            )
            summary.failed += 1
            return
        stored = await self._store.documents.hashes(source.name)
        if not own_audiences:
            await self._store.documents.set_audience(source.name, source.audience)
        audiences: dict[str, tuple[str, ...]] = {}
        seen: set[str] = set()
        kept: list[str] = []
        for error in source.rejected:
            self._record_error(error, summary)
        queue: asyncio.Queue[LoadedDocument | FileError | None] = asyncio.Queue(QUEUE_DOCUMENTS)
        parsing = asyncio.create_task(self._parse(source, pool, queue, kept))
        try:
            await self._consume(queue, source, stored, seen, audiences, summary)
        finally:
            if not parsing.done():
                parsing.cancel()
            await asyncio.gather(parsing, return_exceptions=True)
        parsing.result()  # a failure of the parsing side itself ends the run
        seen.update(path for path in stored if path.startswith(tuple(kept)))
        if own_audiences:  # unchanged pages whose restriction was added or lifted
            await self._store.documents.set_audiences(source.name, audiences)
        await self._delete_vanished(source, stored, seen, summary)

    async def _parse(
        self,
        source: Source,
        pool: ParsePool,
        out: asyncio.Queue[LoadedDocument | FileError | None],
        kept: list[str],
    ) -> None:
        """Run every job of `source` in the pool, putting documents and errors on `out`."""
        found = source_jobs(source)
        pending: list[Job] = []

        async def worker() -> None:
            while (job := pending.pop() if pending else next(found, None)) is not None:
                if isinstance(job, FileError):
                    await out.put(job)
                    continue
                result = await pool.run(job)
                kept.extend(result.kept)
                pending.extend(result.more)
                for item in result.items:
                    await out.put(item)

        tasks = [asyncio.create_task(worker()) for _ in range(self._limits.parse_workers)]
        try:
            await asyncio.gather(*tasks)
        except BaseException as exc:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if not isinstance(exc, asyncio.CancelledError):
                await out.put(None)  # the consumer finishes; the run then raises `exc`
            raise
        await out.put(None)

    async def _consume(
        self,
        queue: asyncio.Queue[LoadedDocument | FileError | None],
        source: Source,
        stored: dict[str, str],
        seen: set[str],
        audiences: dict[str, tuple[str, ...]],
        summary: RunSummary,
    ) -> None:
        """Chunk, embed and store documents as they arrive, a batch of chunks at a time;
        `audiences` gets each document's readers."""
        batch: list[ChunkedDocument] = []
        while (item := await queue.get()) is not None:
            self._progress.advance(item.path)
            seen.add(item.path)
            if isinstance(item, FileError):
                self._record_error(item, summary)
                continue
            audiences[item.path] = readers_of(item, source)
            if stored.get(item.path) == item.content_hash:
                summary.unchanged += 1
                continue
            chunked = await self._chunk(item, source, summary)
            if chunked is None:
                continue
            batch.append(chunked)
            if sum(len(d.chunks) for d in batch) >= BATCH_CHUNKS:
                await self._write(batch, stored, summary)
                batch = []
        await self._write(batch, stored, summary)

    async def _chunk(
        self, document: LoadedDocument, source: Source, summary: RunSummary
    ) -> ChunkedDocument | None:
        try:
            chunks = await asyncio.to_thread(chunk_document, document)
        except Exception as exc:  # RecursionError and MemoryError too: this document's failure
            reason = f"could not split into chunks ({type(exc).__name__})"
            self._record_error(FileError(document.path, reason), summary)
            return None
        return ChunkedDocument(document, chunks, readers_of(document, source))

    @staticmethod
    def _record_error(error: FileError, summary: RunSummary) -> None:
        if error.kind == "skipped":
            summary.skipped += 1
            summary.skipped_files.append(error)
        else:
            log.warning("could not index %s: %s", error.path, error.reason)
            summary.failed += 1
            summary.errors.append(error)

    async def _write(
        self, batch: list[ChunkedDocument], stored: dict[str, str], summary: RunSummary
    ) -> None:
        """Embed `batch` and store each document; a document that fails fails alone."""
        if not batch:
            return
        try:
            vectors = await self._embed(batch, summary)
        except _NOT_THE_FILE:
            raise
        except Exception as exc:
            if len(batch) > 1:
                for doc in batch:  # find the document the embedder cannot take
                    await self._write([doc], stored, summary)
                return
            reason = f"could not embed its text ({type(exc).__name__})"
            self._record_error(FileError(batch[0].document.path, reason), summary)
            return
        started = time.perf_counter()
        offset = 0
        for doc in batch:
            rows = [
                ChunkRow(
                    c.ordinal, c.heading_path, c.text, c.page, vectors[offset + i], c.last_page
                )
                for i, c in enumerate(doc.chunks)
            ]
            offset += len(rows)
            await self._store_document(doc, rows, stored, summary)
        summary.store_seconds += time.perf_counter() - started

    async def _embed(self, batch: list[ChunkedDocument], summary: RunSummary) -> np.ndarray:
        texts = [chunk.embed_text for doc in batch for chunk in doc.chunks]
        started = time.perf_counter()
        vectors, embedded = await self._embedder.embed(texts)
        summary.embed_seconds += time.perf_counter() - started
        summary.embedded += embedded
        summary.cached += len(texts) - embedded
        return vectors

    async def _store_document(
        self,
        doc: ChunkedDocument,
        rows: list[ChunkRow],
        stored: dict[str, str],
        summary: RunSummary,
    ) -> None:
        try:
            await self._store.documents.replace(_document_row(doc), rows)
        except _REFUSED_CONTENT as exc:
            reason = f"the database refused its text ({type(exc).__name__}); previous version kept"
            self._record_error(FileError(doc.document.path, reason), summary)
            return
        summary.chunks += len(rows)
        if doc.document.path in stored:
            summary.updated += 1
        else:
            summary.added += 1

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
