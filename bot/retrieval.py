"""Retrieval: embed the query, run the hybrid search, decide whether there is an answer."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from bot.answerability import answerable
from bot.embeddings import Embedder
from bot.models import Chunk
from bot.store.search import SearchMode, SearchStore


@dataclass(frozen=True)
class Retrieved:
    chunks: tuple[Chunk, ...]
    relevant: bool
    query_vector: np.ndarray

    @property
    def best_similarity(self) -> float:
        return max((c.similarity for c in self.chunks), default=0.0)


class Retriever:
    def __init__(
        self,
        search: SearchStore,
        embedder: Embedder,
        *,
        limit: int,
        per_document: int,
        floor: float,
        mode: SearchMode = "hybrid",
    ) -> None:
        self._search = search
        self._embedder = embedder
        self._limit = limit
        self._per_document = per_document
        self._floor = floor
        self.mode = mode

    async def embed_query(self, query: str) -> np.ndarray:
        vectors = await asyncio.to_thread(self._embedder.embed, [query])
        first: np.ndarray = vectors[0]
        return first

    async def retrieve(
        self,
        query: str,
        groups: Collection[str],
        *,
        vector: np.ndarray | None = None,
        limit: int | None = None,
        mode: SearchMode | None = None,
    ) -> Retrieved:
        if vector is None:
            vector = await self.embed_query(query)
        chunks = await self._search.search(
            query,
            vector,
            groups,
            limit=limit or self._limit,
            per_document=self._per_document,
            mode=mode or self.mode,
        )
        return Retrieved(tuple(chunks), self.is_relevant(chunks), vector)

    def is_relevant(self, chunks: Sequence[Chunk]) -> bool:
        """Enough evidence to answer: see `bot.answerability`."""
        return answerable(chunks, self._floor, self.mode)
