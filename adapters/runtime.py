"""Wiring: settings -> embedder -> store -> engine and indexer, shared by the CLI and `serve`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from pydantic import SecretStr

from bot.embeddings import Embedder, make_embedder
from bot.engine import Engine
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
from indexer.wiki import Credentials

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
                from bot.errors import ConfigError

                raise ConfigError(f"unknown source(s): {', '.join(sorted(unknown))}")
            sources = [s for s in sources if s.name in only]
        return await self.index(sources, trigger, progress)

    async def index(
        self, sources: Sequence[Source], trigger: str, progress: Progress | None = None
    ) -> RunSummary:
        limits = Limits.from_settings(self.settings)
        credentials = wiki_credentials(self.settings)
        indexer = Indexer(self.store, self.embedder, progress, limits, credentials)
        return await indexer.run(sources, trigger)

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


def wiki_credentials(settings: Settings) -> Credentials:
    """Confluence credentials from the environment (CONFLUENCE_EMAIL, CONFLUENCE_API_TOKEN,
    CONFLUENCE_TOKEN); they are never read from sources.yaml."""
    return Credentials(
        email=settings.confluence_email or None,
        api_token=_secret(settings.confluence_api_token),
        token=_secret(settings.confluence_token),
    )


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() or None if value is not None else None


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
