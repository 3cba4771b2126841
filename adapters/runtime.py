"""Wiring: settings -> embedder -> store -> engine and indexer, shared by the CLI and `serve`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot.audience import Audience
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
    audience: Audience = field(init=False)

    def __post_init__(self) -> None:
        self.audience = Audience(self.directory)

    async def reindex(
        self,
        trigger: str,
        only: Sequence[str] | None = None,
        progress: Progress | None = None,
    ) -> RunSummary:
        """Re-index the configured sources (or the named ones) under the cluster-wide lock."""
        unknown = self.unknown_sources(only or ())
        if unknown:
            raise ConfigError(f"unknown source(s): {', '.join(sorted(unknown))}")
        sources = self.sources
        if only:
            sources = [s for s in sources if s.name in only]
        return await self.index(sources, trigger, progress)

    async def index(
        self, sources: Sequence[Source], trigger: str, progress: Progress | None = None
    ) -> RunSummary:
        limits = Limits.from_settings(self.settings)
        return await Indexer(self.store, self.embedder, progress, limits).run(sources, trigger)

    async def warm_up(self) -> None:
        """Load the embedding model before the first question arrives."""
        await asyncio.to_thread(self.embedder.embed, ["warm up"])
        self.model_loaded = True

    async def housekeeping(self) -> None:
        """Forget conversation turns past their TTL and delivery ids older than a day."""
        turns = await self.store.conversations.expire()
        deliveries = await self.store.feedback.forget_deliveries()
        log.info("housekeeping: %d conversation turns, %d delivery ids expired", turns, deliveries)

    def unknown_sources(self, names: Sequence[str]) -> list[str]:
        """The names in `names` that `sources.yaml` does not configure (read afresh)."""
        known = {s.name for s in self.configured_sources()}
        return [name for name in names if name not in known]

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
