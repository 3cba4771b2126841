"""Re-embed a knowledge base whose vectors another embedding model made (after
DESKMATE_EMBEDDINGS changed): every stored chunk again, from its stored text, under the
re-index lock. Nothing is re-read from the sources.

Vectors of two models are never searched together for long: the pass runs before the next
index run and records the new model only once every chunk has it. Interrupted, it starts
over, and the embedding cache makes the chunks already done free.
"""

from __future__ import annotations

import logging

from bot.embeddings import Embedder
from bot.store import Store
from indexer.embedding import CachedEmbedder
from indexer.records import ChunkDraft

log = logging.getLogger(__name__)

PAGE = 256


async def reembed(store: Store, embedder: Embedder) -> int:
    """Give every chunk a vector from `embedder`; returns how many chunks were re-embedded."""
    async with store.runs.exclusive():
        total = await store.documents.chunk_count()
        log.warning(
            "the knowledge base was embedded with %s; re-embedding its %d chunks with %s "
            "(DESKMATE_EMBEDDINGS changed)",
            store.embedded_with,
            total,
            embedder.name,
        )
        cached = CachedEmbedder(embedder, store.documents)
        done, after = 0, 0
        while page := await store.documents.chunks_after(after, PAGE):
            texts = [ChunkDraft(0, text, tuple(path)).embed_text for _, path, text in page]
            vectors, _ = await cached.embed(texts)
            await store.documents.set_embeddings(
                [(chunk_id, vectors[row]) for row, (chunk_id, _, _) in enumerate(page)]
            )
            done += len(page)
            after = page[-1][0]
        await store.documents.record_embedding_model(embedder.name)
        store.embedded_with = embedder.name
        log.warning("re-embedded %d chunks with %s", done, embedder.name)
        return done
