"""Stage 4: embed chunk texts in batches; the cache in Postgres means no text is embedded twice."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence

import numpy as np

from bot.embeddings import Embedder
from bot.store.documents import DocumentStore


class CachedEmbedder:
    def __init__(self, embedder: Embedder, documents: DocumentStore) -> None:
        self._embedder = embedder
        self._documents = documents

    async def embed(self, texts: Sequence[str]) -> tuple[np.ndarray, int]:
        """Vectors for `texts` and how many had to be computed (the rest came from the cache)."""
        hashes = [hashlib.sha256(t.encode()).digest() for t in texts]
        cached = await self._documents.cached_embeddings(self._embedder.name, list(set(hashes)))
        missing = list(dict.fromkeys(h for h in hashes if h not in cached))
        if missing:
            by_hash = dict(zip(hashes, texts, strict=True))
            fresh = await asyncio.to_thread(self._embedder.embed, [by_hash[h] for h in missing])
            new = list(zip(missing, fresh, strict=True))
            await self._documents.cache_embeddings(self._embedder.name, new)
            cached.update(new)
        out = np.zeros((len(texts), self._embedder.dimensions), dtype=np.float32)
        for row, digest in enumerate(hashes):
            out[row] = cached[digest]
        return out, len(missing)
