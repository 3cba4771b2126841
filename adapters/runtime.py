"""Wiring: settings -> embedder -> store -> engine and indexer, shared by the CLI and `serve`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot.embeddings import Embedder, make_embedder
from bot.engine import Engine
from bot.errors import ConfigError
from bot.groups import Directory
from bot.llm import ChatModel
from bot.settings import Settings
from bot.store import Store, open_store
from bot.tone.phraser import Phraser
from bot.tone.style import HouseStyle
from indexer.limits import Limits
from indexer.pipeline import Indexer, Progress, RunSummary
from indexer.records import Source
from indexer.reembed import reembed
from indexer.sources import load_sources

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    store: Store
    embedder: Embedder
    engine: Engine
    directory: Directory
    contacts: dict[str, str] = field(default_factory=dict)
    sources: list[Source] = field(default_factory=list)
    model_loaded: bool = False

    async def reindex(
        self,
        trigger: str,
        only: Sequence[str] | None = None,
        progress: Progress | None = None,
    ) -> RunSummary:
        """Re-index the configured sources (or the named ones) under the cluster-wide lock."""
        sources = self.configured_sources()
        if only:
            unknown = set(only) - {s.name for s in sources}
            if unknown:
                raise ConfigError(f"unknown source(s): {', '.join(sorted(unknown))}")
            sources = [s for s in sources if s.name in only]
        return await self.index(sources, trigger, progress)

    async def index(
        self, sources: Sequence[Source], trigger: str, progress: Progress | None = None
    ) -> RunSummary:
        """Index `sources`, after re-embedding the knowledge base if another model made it."""
        if self.store.embedded_with != self.embedder.name:
            await reembed(self.store, self.embedder)
        limits = Limits.from_settings(self.settings)
        return await Indexer(self.store, self.embedder, progress, limits).run(sources, trigger)

    def require_current_embeddings(self) -> None:
        """Refuse to search vectors another embedding model made: `deskmate index` re-embeds."""
        if self.store.embedded_with != self.embedder.name:
            raise ConfigError(
                f"the knowledge base was embedded with {self.store.embedded_with} but "
                f"DESKMATE_EMBEDDINGS={self.settings.embeddings} embeds with "
                f"{self.embedder.name}; run `deskmate index` once to re-embed it (nothing is "
                "re-read), or set DESKMATE_EMBEDDINGS back"
            )

    async def warm_up(self) -> None:
        """Load the embedding model before the first question arrives."""
        await asyncio.to_thread(self.embedder.embed, ["warm up"])
        self.model_loaded = True

    async def housekeeping(self) -> None:
        """Forget conversation turns past their TTL and delivery ids older than a day."""
        turns = await self.store.conversations.expire()
        deliveries = await self.store.feedback.forget_deliveries()
        log.info("housekeeping: %d conversation turns, %d delivery ids expired", turns, deliveries)

    def configured_sources(self) -> list[Source]:
        self.sources = load_sources(self.settings.sources_file)
        return self.sources


def source_contacts(settings: Settings) -> dict[str, str]:
    """source name -> contact ("#it-help", "@hr-team") from `sources.yaml`."""
    try:
        return {s.name: s.contact for s in load_sources(settings.sources_file) if s.contact}
    except Exception as exc:
        log.warning("no contacts for unanswered questions: %s", exc)
        return {}


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    embedder = make_embedder(settings)
    phraser = Phraser.from_settings(settings)
    style = HouseStyle.load(settings.tone_file)
    async with open_store(settings, dim=embedder.dimensions, model=embedder.name) as store:
        chat = ChatModel(settings) if settings.llm_configured else None
        contacts = source_contacts(settings)
        engine = Engine(
            settings,
            store,
            embedder,
            chat=chat,
            contacts=contacts,
            phraser=phraser,
            style=style,
        )
        directory = Directory.from_file(settings.groups_file)
        yield Runtime(settings, store, embedder, engine, directory, contacts=contacts)
