"""The answer without an LLM: the most relevant sentences of the retrieved passages, quoted."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.embeddings import Embedder
from bot.models import Chunk

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+")
MAX_SENTENCES = 3
MIN_WORDS = 4
KEEP_WITHIN = 0.12  # a quote must score nearly as well as the best one
_STOPWORD_TEXT = """
a an the and or of to in on for at by with from is are was be do does
did i me my we our you your it its this that what which who when where
why how can could should would will there their them they get got have
has any all per
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@dataclass(frozen=True)
class Quote:
    text: str
    chunk: Chunk
    similarity: float


def sentences(text: str) -> list[str]:
    parts = (p.strip(" -•*\t") for p in SENTENCE_END.split(text))
    return [p for p in parts if len(p.split()) >= MIN_WORDS]


def _terms(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS}


def _overlap(terms: set[str], sentence: str) -> float:
    return len(terms & _terms(sentence)) / len(terms) if terms else 0.0


async def best_quotes(
    question: str,
    query_vector: np.ndarray,
    chunks: Sequence[Chunk],
    embedder: Embedder,
    limit: int = MAX_SENTENCES,
) -> list[Quote]:
    """The sentences of the top passages closest to the question, in reading order.

    Each sentence is scored with its heading path, so "Install Halyard Connect" under
    "VPN Access > Connecting" counts as an answer to "How do I connect to the VPN?"."""
    candidates = [(s, c) for c in chunks[:3] for s in sentences(c.text)]
    if not candidates:
        return [Quote(c.text, c, c.similarity) for c in chunks[:1]]
    in_context = [f"{' > '.join(c.heading_path)}: {s}" for s, c in candidates]
    vectors = await asyncio.to_thread(embedder.embed, [s for s, _ in candidates] + in_context)
    closeness = (vectors @ query_vector).reshape(2, len(candidates)).max(axis=0)
    # Meaning counts most; the passage's own rank and the question's words break ties.
    terms = _terms(question)
    scores = (
        0.5 * closeness
        + 0.3 * np.array([c.similarity for _, c in candidates])
        + 0.2 * np.array([_overlap(terms, s) for s in in_context])
    )
    ranked = sorted(zip(scores, candidates, strict=True), key=lambda x: -float(x[0]))
    chosen: list[Quote] = []
    seen: set[str] = set()
    best = float(ranked[0][0])
    for score, (text, chunk) in ranked:
        key = text.lower()
        if key in seen or float(score) < best - KEEP_WITHIN:
            continue
        seen.add(key)
        chosen.append(Quote(text, chunk, float(score)))
        if len(chosen) == limit:
            break
    position = {(s, id(c)): i for i, (s, c) in enumerate(candidates)}
    return sorted(chosen, key=lambda q: position[(q.text, id(q.chunk))])
