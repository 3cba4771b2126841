"""Wiring: settings -> embedder -> store -> engine and indexer, shared by the CLI and `serve`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import SecretStr

from adapters.settings import AppSettings
from bot.audience import Audience
from bot.embeddings import Embedder, make_embedder
from bot.engine import Engine
from bot.errors import ConfigError
from bot.groups import Directory
from bot.llm import ChatModel
from bot.models import EVERYONE
from bot.store import Store, open_store
from bot.tone.phraser import Phraser
from bot.tone.style import HouseStyle
from indexer.limits import Limits
from indexer.records import Source
from indexer.sources import load_sources

if TYPE_CHECKING:
    from indexer.pipeline import Progress, RunSummary
    from indexer.wiki import Credentials

log = logging.getLogger(__name__)

FOLDERS_FILE = "indexed-folders.yaml"


@dataclass
class Runtime:
    settings: AppSettings
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
        """Index `sources`, after re-embedding the knowledge base if another model made it."""
        if self.store.embedded_with != self.embedder.name:
            from indexer.reembed import reembed

            await reembed(self.store, self.embedder)
        limits = Limits.from_settings(self.settings.indexing)
        credentials = wiki_credentials(self.settings)
        extract_dir = self.settings.store.data_dir / "extracted"
        from indexer.pipeline import Indexer  # the loaders' imports, paid only when indexing

        indexer = Indexer(self.store, self.embedder, progress, limits, credentials, extract_dir)
        return await indexer.run(sources, trigger)

    def require_current_embeddings(self) -> None:
        """Refuse to search vectors another embedding model made: `deskmate index` re-embeds."""
        if self.store.embedded_with != self.embedder.name:
            raise ConfigError(
                f"the knowledge base was embedded with {self.store.embedded_with} but "
                f"DESKMATE_EMBEDDINGS={self.settings.models.embeddings} embeds with "
                f"{self.embedder.name}; run `deskmate index` once to re-embed it (nothing is "
                "re-read), or set DESKMATE_EMBEDDINGS back"
            )

    async def warm_up(self) -> None:
        """Load the embedding model before the first question arrives."""
        await asyncio.to_thread(self.embedder.embed, ["warm up"])
        self.model_loaded = True

    async def housekeeping(self) -> None:
        """Forget conversation turns past their TTL, delivery ids older than a day, and
        questions older than the question log's retention (DESKMATE_QUESTION_LOG_DAYS)."""
        turns = await self.store.conversations.expire()
        deliveries = await self.store.feedback.forget_deliveries()
        answers = await self.store.feedback.expire_answers(self.settings.insights.question_log_days)
        await self.store.admin.expire()
        log.info(
            "housekeeping: %d conversation turns, %d delivery ids, %d logged questions expired",
            turns,
            deliveries,
            answers,
        )

    def unknown_sources(self, names: Sequence[str]) -> list[str]:
        """The names in `names` that `sources.yaml` does not configure (read afresh)."""
        known = {s.name for s in self.configured_sources()}
        return [name for name in names if name not in known]

    async def index_folders(
        self, sources: Sequence[Source], trigger: str, progress: Progress | None = None
    ) -> RunSummary:
        """`deskmate index PATH`: index the folders and, without a `sources.yaml`, remember
        them so that every later re-index (CLI, Slack, Teams, nightly) covers them too."""
        if not self.settings.sources.sources_file.exists():
            remember_folders(self.settings, sources)
        return await self.index(sources, trigger, progress)

    def configured_sources(self) -> list[Source]:
        """The sources of `sources.yaml`; without one, the folders indexed by path."""
        self.sources = load_sources(sources_path(self.settings))
        return self.sources

    def public_sources(self) -> set[str] | None:
        """Names of the sources everyone may see; None when every indexed source is public
        (a knowledge base built with `deskmate index PATH`)."""
        if not self.settings.sources.sources_file.exists():
            return None
        return {s.name for s in self.configured_sources() if EVERYONE in s.audience}


def sources_path(settings: AppSettings) -> Path:
    """`sources.yaml`, or the list of folders indexed by path when there is none."""
    folders = settings.store.data_dir / FOLDERS_FILE
    if settings.sources.sources_file.exists() or not folders.exists():
        return settings.sources.sources_file
    return folders


def remember_folders(settings: AppSettings, sources: Sequence[Source]) -> None:
    """Add (or replace, by name) folders indexed by path to the data dir's list."""
    path = settings.store.data_dir / FOLDERS_FILE
    known = {s.name: s for s in load_sources(path)} if path.exists() else {}
    known.update({s.name: s for s in sources})
    entries = [{"name": s.name, "kind": s.kind, "path": str(s.path)} for s in known.values()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Folders indexed with `deskmate index PATH` (no sources.yaml); written by Deskmate.\n"
        + yaml.safe_dump({"sources": entries}, sort_keys=False),
        encoding="utf-8",
    )


def wiki_credentials(settings: AppSettings) -> Credentials:
    from indexer.wiki import Credentials

    """Confluence credentials from the environment (CONFLUENCE_EMAIL, CONFLUENCE_API_TOKEN,
    CONFLUENCE_TOKEN); they are never read from sources.yaml."""
    return Credentials(
        email=settings.sources.confluence_email or None,
        api_token=_secret(settings.sources.confluence_api_token),
        token=_secret(settings.sources.confluence_token),
    )


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() or None if value is not None else None


def source_contacts(settings: AppSettings) -> dict[str, str]:
    """source name -> contact ("#it-help", "@hr-team") from `sources.yaml` (none without)."""
    if not settings.sources.sources_file.exists():
        return {}
    try:
        return {s.name: s.contact for s in load_sources(settings.sources.sources_file) if s.contact}
    except ConfigError as exc:
        log.warning("no contacts for unanswered questions: %s", exc)
        return {}


@asynccontextmanager
async def open_runtime(settings: AppSettings) -> AsyncIterator[Runtime]:
    embedder = make_embedder(settings)
    phraser = Phraser.from_settings(settings.models)
    style = HouseStyle.load(settings.models.tone_file)
    async with open_store(settings, dim=embedder.dimensions, model=embedder.name) as store:
        chat = ChatModel(settings.models) if settings.models.llm_configured else None
        contacts = source_contacts(settings)
        engine = Engine(
            settings.retrieval,
            store,
            embedder,
            chat=chat,
            contacts=contacts,
            phraser=phraser,
            style=style,
            store_askers=settings.insights.store_askers,
        )
        directory = Directory.from_file(settings.sources.groups_file)
        yield Runtime(settings, store, embedder, engine, directory, contacts=contacts)
