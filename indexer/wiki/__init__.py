"""Live sync of a Confluence Cloud or Data Center site: pages, attachments and permissions."""

from __future__ import annotations

import logging

from bot.store import Store
from indexer.records import FileError, Source
from indexer.wiki.api import CloudApi, DataCenterApi, WikiApi
from indexer.wiki.client import Credentials, WikiClient, WikiError
from indexer.wiki.sync import Tally, WikiSync, Write

__all__ = ["Credentials", "sync_wiki"]

log = logging.getLogger(__name__)


async def sync_wiki(
    store: Store, source: Source, credentials: Credentials, write: Write, summary: Tally
) -> None:
    """Sync one live source into the run's `summary`; a failure that stops the whole sync is
    one error in the summary, and every stored page keeps its last good version."""
    authorization = credentials.auth_header(source.kind)
    async with WikiClient(source.base_url or "", authorization) as client:
        api: WikiApi = (
            DataCenterApi(client) if source.kind == "confluence-datacenter" else CloudApi(client)
        )
        try:
            await WikiSync(store, api, source, write).run(summary)
        except WikiError as exc:
            log.warning("sync of %s stopped: %s", source.name, exc)
            summary.failed += 1
            summary.errors.append(FileError(source.name, f"sync stopped: {exc}; kept"))
