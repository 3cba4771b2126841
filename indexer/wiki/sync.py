"""One sync of a live Confluence source: changed pages in, deleted pages out, audiences updated.

1. List every page in scope (ids, titles, parents): the reconciliation set.
2. Fetch the pages changed since the last successful sync (CQL `lastmodified`, with an
   overlap), plus new pages and last run's failures; write them in batches, saving a
   checkpoint after each so an interrupted sync resumes where it stopped.
3. Read every page's restrictions and apply the resulting audience to pages and attachments
   whose text did not change, without re-embedding.
4. Delete pages (and their attachments) that left the scope: deleted, trashed or moved.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from bot.errors import LoadError
from bot.store import Store
from bot.store.sync import SyncState
from indexer.chunking import chunk_document
from indexer.loaders import docx, pdf, slides, spreadsheet
from indexer.loaders.parsed import Parsed, join_url, require_content
from indexer.loaders.storage_format import storage_sections
from indexer.permissions import Readers, page_audience
from indexer.records import ChunkedDocument, FileError, LoadedDocument, Source
from indexer.wiki.api import PageRef, RemoteAttachment, RemotePage, WikiApi
from indexer.wiki.client import WikiError

log = logging.getLogger(__name__)

OVERLAP = timedelta(days=1)  # CQL dates are in minutes and the site's time zone: be generous
PAGES_PER_BATCH = 8
_ATTACHMENT_PARSERS: dict[str, Callable[[Path], Parsed]] = {
    ".pdf": pdf.parse,
    ".docx": docx.parse,
    ".xlsx": spreadsheet.parse,
    ".pptx": slides.parse,
}

Write = Callable[[list[ChunkedDocument], dict[str, str], Any], Awaitable[None]]  # Indexer._write


@dataclass
class SyncFigures:
    seen: int = 0
    changed: int = 0
    deleted: int = 0
    failed: int = 0
    permissions_changed: int = 0
    failed_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "seen": self.seen,
            "changed": self.changed,
            "deleted": self.deleted,
            "failed": self.failed,
            "permissions_changed": self.permissions_changed,
        }


def page_path(page_id: str) -> str:
    return f"pages/{page_id}"


def page_id_of(path: str) -> str:
    """`pages/123` and `pages/123/attachments/x.pdf` both belong to page 123."""
    return path.split("/")[1] if path.startswith("pages/") else ""


class Tally(Protocol):
    """The run summary a sync adds to (the pipeline's `RunSummary`)."""

    unchanged: int
    deleted: int
    failed: int
    errors: list[FileError]


@dataclass
class _Pass:
    """One sync's working state: where it resumes from and what it has done so far."""

    summary: Tally
    started: datetime
    since: datetime | None
    done: set[str]
    pages: dict[str, PageRef] = field(default_factory=dict)
    stored: dict[str, str] = field(default_factory=dict)  # path -> content hash
    figures: SyncFigures = field(default_factory=SyncFigures)

    def checkpoint(self) -> dict[str, Any]:
        return {
            "started": self.started.isoformat(),
            "since": self.since.isoformat() if self.since else None,
            "done": sorted(self.done, key=_numeric),
        }


class WikiSync:
    def __init__(self, store: Store, api: WikiApi, source: Source, write: Write) -> None:
        self._store = store
        self._api = api
        self._source = source
        self._write = write
        self._restrictions: dict[str, Readers | None] = {}

    async def run(self, summary: Tally) -> SyncFigures:
        """Sync the source, adding to the run's `summary`; raises `WikiError` only when the
        page listing itself fails (then nothing is deleted and every page keeps its version)."""
        source = self._source
        state = await self._store.sync.state(source.name)
        run = _resume(state, summary)
        run.pages = {ref.id: ref async for ref in self._api.pages(source)}
        run.figures.seen = len(run.pages)
        run.stored = await self._store.documents.hashes(source.name)
        listed = set(run.pages)
        stored_pages = {page_id_of(path) for path in run.stored}
        wanted = listed - stored_pages | set(state.retry)
        if run.since is None:
            wanted |= listed
        else:
            wanted |= await self._api.changed_since(source, run.since)
        todo = sorted((wanted & listed) - run.done, key=_numeric)
        summary.unchanged += len(listed & stored_pages - set(todo))  # not even fetched

        audiences = await self._audiences(run.pages)
        await self._fetch(run, todo, audiences)
        run.figures.permissions_changed = await self._apply_audiences(audiences)
        await self._reconcile(run)
        figures = run.figures
        await self._store.sync.finish(
            source.name, run.started, figures.failed_ids, figures.as_dict()
        )
        return figures

    async def _fetch(
        self, run: _Pass, todo: Sequence[str], audiences: dict[str, tuple[str, ...] | None]
    ) -> None:
        batch: list[ChunkedDocument] = []
        batch_ids: list[str] = []
        for page_id in todo:
            audience = audiences.get(page_id)
            try:
                if audience is None:
                    raise WikiError("its read restrictions could not be read")
                documents = await self._documents(page_id, run.pages)
            except (WikiError, KeyError, ValueError, TypeError) as exc:
                reason = str(exc) if isinstance(exc, WikiError) else "unexpected answer"
                self._fail(run, page_id, reason)
                continue
            run.figures.changed += 1
            await self._drop_stale(run, page_id, documents)
            for document in documents:
                if isinstance(document, FileError):
                    run.summary.failed += 1
                    run.summary.errors.append(document)
                elif run.stored.get(document.path) == document.content_hash:
                    run.summary.unchanged += 1
                else:
                    batch.append(ChunkedDocument(document, chunk_document(document), audience))
            batch_ids.append(page_id)
            if len(batch_ids) >= PAGES_PER_BATCH:
                await self._flush(run, batch, batch_ids)
                batch, batch_ids = [], []
        await self._flush(run, batch, batch_ids)

    async def _drop_stale(
        self, run: _Pass, page_id: str, documents: Sequence[LoadedDocument | FileError]
    ) -> None:
        """Attachments removed from a page (or a page body now empty) leave the index."""
        kept = {document.path for document in documents}
        stale = [p for p in run.stored if page_id_of(p) == page_id and p not in kept]
        if stale:
            run.summary.deleted += await self._store.documents.delete(self._source.name, stale)
            for path in stale:
                run.stored.pop(path, None)

    async def _flush(self, run: _Pass, batch: list[ChunkedDocument], batch_ids: list[str]) -> None:
        """Write a batch, then save the checkpoint an interrupted sync resumes from."""
        if batch:
            await self._write(batch, run.stored, run.summary)
            for document in batch:
                run.stored[document.document.path] = document.document.content_hash
        run.done.update(batch_ids)
        await self._store.sync.save_checkpoint(self._source.name, run.checkpoint())

    def _fail(self, run: _Pass, page_id: str, reason: str) -> None:
        title = run.pages[page_id].title if page_id in run.pages else page_id
        error = FileError(page_path(page_id), f"page {title!r} not synced: {reason}; kept")
        log.warning("%s: %s", self._source.name, error.reason)
        run.summary.failed += 1
        run.summary.errors.append(error)
        run.figures.failed += 1
        run.figures.failed_ids.append(page_id)

    async def _documents(
        self, page_id: str, pages: dict[str, PageRef]
    ) -> list[LoadedDocument | FileError]:
        page = await self._api.page(page_id)
        crumbs = await self._breadcrumbs(page.ref, pages)
        found: list[LoadedDocument | FileError] = []
        sections = storage_sections(page.body)
        if sections:
            found.append(
                LoadedDocument(
                    source=self._source.name,
                    path=page_path(page_id),
                    title=page.ref.title,
                    sections=sections,
                    url=self._page_url(page_id),
                    updated_at=page.updated_at,
                    breadcrumbs=crumbs,
                )
            )
        for attachment in await self._api.attachments(page_id):
            item = await self._attachment(page, attachment, crumbs)
            if item is not None:
                found.append(item)
        return found

    async def _attachment(
        self, page: RemotePage, attachment: RemoteAttachment, crumbs: tuple[str, ...]
    ) -> LoadedDocument | FileError | None:
        parser = _ATTACHMENT_PARSERS.get(Path(attachment.name).suffix.lower())
        if parser is None:
            return None
        path = f"{page_path(page.ref.id)}/attachments/{attachment.name}"
        try:
            data = await self._api.download(attachment)
        except WikiError as exc:
            return FileError(path, f"attachment not downloaded: {exc}")
        with tempfile.TemporaryDirectory(prefix="deskmate-wiki-") as tmp:
            file = Path(tmp) / Path(attachment.name).name
            file.write_bytes(data)
            try:
                require_content(file)
                parsed = parser(file)
            except LoadError as exc:
                return FileError(path, str(exc))
        base = self._source.base_url or ""
        return LoadedDocument(
            source=self._source.name,
            path=path,
            title=f"{attachment.name} (attachment of {page.ref.title})",
            sections=parsed.sections,
            url=join_url(base, "download/attachments", page.ref.id, attachment.name),
            updated_at=parsed.updated_at or page.updated_at,
            parent_path=page_path(page.ref.id),
            breadcrumbs=(*crumbs, page.ref.title),
        )

    async def _breadcrumbs(self, ref: PageRef, pages: dict[str, PageRef]) -> tuple[str, ...]:
        chain = await self._chain(ref.id, pages)
        return (ref.space, *(pages[a].title for a in reversed(chain[1:]) if a in pages))

    async def _chain(self, page_id: str, pages: dict[str, PageRef]) -> list[str]:
        """The page and its ancestors, nearest first; ancestors outside the scope are looked up."""
        chain, current = [page_id], pages.get(page_id)
        while current is not None and current.parent_id and current.parent_id not in chain:
            if current.parent_id not in pages:
                for ancestor in await self._api.ancestors(current.id):
                    pages.setdefault(ancestor.id, ancestor)
                if current.parent_id not in pages:
                    break
            chain.append(current.parent_id)
            current = pages[current.parent_id]
        return chain

    async def _audiences(self, pages: dict[str, PageRef]) -> dict[str, tuple[str, ...] | None]:
        """Each page's audience, or None when a restriction on its way up could not be read."""
        spaces: dict[str, Readers] = {}
        for key in sorted({ref.space for ref in pages.values()}):
            readers = await self._api.space_readers(key)
            spaces[key] = readers or Readers(groups=frozenset(self._source.audience))
        found: dict[str, tuple[str, ...] | None] = {}
        for page_id in sorted(pages, key=_numeric):
            chain = await self._chain(page_id, pages)
            restrictions = [await self._restriction(a) for a in chain]
            if any(r is None for r in restrictions):
                found[page_id] = None
                continue
            space = spaces.get(pages[page_id].space, Readers(frozenset(self._source.audience)))
            found[page_id] = page_audience(
                space, [r for r in restrictions if r is not None], self._source.everyone_groups
            )
        return found

    async def _restriction(self, page_id: str) -> Readers | None:
        if page_id not in self._restrictions:
            try:
                self._restrictions[page_id] = await self._api.restrictions(page_id)
            except WikiError as exc:
                log.warning("%s: restrictions of page %s: %s", self._source.name, page_id, exc)
                self._restrictions[page_id] = None
        return self._restrictions[page_id]

    async def _apply_audiences(self, audiences: dict[str, tuple[str, ...] | None]) -> int:
        """Pages and attachments whose audience changed get the new one: no re-embedding."""
        stored = await self._store.documents.audiences(self._source.name)
        wanted: dict[str, tuple[str, ...]] = {}
        for path, current in stored.items():
            audience = audiences.get(page_id_of(path))
            if audience is not None and audience != current:
                wanted[path] = audience
        return await self._store.documents.set_audiences(self._source.name, wanted)

    async def _reconcile(self, run: _Pass) -> None:
        """Pages no longer listed (deleted, trashed, moved out of scope) leave the index."""
        if not run.pages and run.stored:
            run.summary.failed += 1
            run.summary.errors.append(
                FileError(self._source.name, "Confluence listed no pages; kept every document")
            )
            return
        gone = sorted(path for path in run.stored if page_id_of(path) not in run.pages)
        run.summary.deleted += await self._store.documents.delete(self._source.name, gone)
        run.figures.deleted = len({page_id_of(path) for path in gone})

    def _page_url(self, page_id: str) -> str | None:
        base = self._source.base_url
        return f"{base.rstrip('/')}/pages/viewpage.action?pageId={page_id}" if base else None


def _resume(state: SyncState, summary: Tally) -> _Pass:
    """Pick up an interrupted sync's checkpoint, or start after the last successful sync."""
    checkpoint = state.checkpoint
    if checkpoint:
        started = _when(checkpoint.get("started")) or datetime.now(UTC)
        done = set(checkpoint.get("done", []))
        return _Pass(summary, started, _when(checkpoint.get("since")), done)
    since = state.last_success_at - OVERLAP if state.last_success_at else None
    return _Pass(summary, datetime.now(UTC), since, set())


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def _numeric(page_id: str) -> tuple[int, str]:
    return (int(page_id), page_id) if page_id.isdigit() else (0, page_id)
