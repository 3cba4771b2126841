"""Fusing the two retrieval legs, and the per-document cap.

The store returns every candidate of either leg (vector nearest neighbours, BM25 keyword
hits) with both scores. Fusion here decides the order; measured by benchmarks/quality.py on
real handbooks (docs/quality.md):

- `rrf`: weighted reciprocal rank fusion, `w / (RRF_K + rank)` per leg;
- `score` (default): a weighted sum of the cosine similarity and the BM25 score scaled by the
  best BM25 score of the question, trusted in proportion to how much of the question's
  rare-word weight (IDF) the best keyword hit covers: a keyword leg that matched only a
  stray word says little and weighs little.

With `score`, a chunk also gains `title_weight` x the share of its document's title words that the
question names: people name the document they mean ("under the Northwind Standard plan", "the
travel policy"), and near-identical documents (two plans, two years of a policy) are told
apart by that more than by their text. Ranking only: the answerability decision reads the
similarity, not the fused score. Measured by benchmarks/quality.py (docs/quality.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from bot.models import Chunk

RRF_K = 60
_TITLE_WORD = re.compile(r"[a-z0-9]{3,}")
_NOT_A_NAME = frozenset({"and", "for", "the", "with", "your", "our", "from", "into"})
FusionMethod = Literal["rrf", "score"]


@dataclass(frozen=True)
class Fusion:
    method: FusionMethod = "score"
    keyword_weight: float = 0.3  # rrf: the keyword leg's weight (vector leg 1.0)
    bm25_share: float = 0.4  # score: the BM25 part of the fused score at full coverage
    trust_coverage: bool = True  # score: scale the BM25 part by the best hit's coverage
    title_weight: float = 0.15  # score: x the share of the title's words the question names


DEFAULT_FUSION = Fusion()


def fuse(
    candidates: Sequence[Chunk], fusion: Fusion = DEFAULT_FUSION, query: str = ""
) -> list[Chunk]:
    """Candidates with `score` set to the fused score, best first."""
    if fusion.method == "rrf":
        scored = [replace(c, score=_rrf(c, fusion.keyword_weight)) for c in candidates]
    else:
        best_bm25 = max((c.bm25 for c in candidates), default=0.0)
        trust = max((c.coverage for c in candidates), default=0.0) if fusion.trust_coverage else 1
        share = fusion.bm25_share * trust
        asked = _words(query) if fusion.title_weight and query else frozenset()
        scored = [
            replace(
                c,
                score=(1 - share) * c.similarity
                + share * (c.bm25 / best_bm25 if best_bm25 > 0 else 0.0)
                + (fusion.title_weight * named_share(c.title, asked) if asked else 0.0),
            )
            for c in candidates
        ]
    return sorted(scored, key=lambda c: (-c.score, c.chunk_id))


def named_share(title: str, asked: frozenset[str]) -> float:
    """The share of a title's words that the question's words hold."""
    words = _words(title)
    return len(words & asked) / len(words) if words else 0.0


def _words(text: str) -> frozenset[str]:
    return frozenset(_TITLE_WORD.findall(text.lower().replace("_", " "))) - _NOT_A_NAME


def _rrf(chunk: Chunk, keyword_weight: float) -> float:
    vector = 1.0 / (RRF_K + chunk.vector_rank) if chunk.vector_rank else 0.0
    keyword = keyword_weight / (RRF_K + chunk.keyword_rank) if chunk.keyword_rank else 0.0
    return vector + keyword


def by_keyword(candidates: Sequence[Chunk]) -> list[Chunk]:
    """The keyword leg alone: BM25 order, for `DESKMATE_RETRIEVAL=keyword` and comparisons."""
    hits = [replace(c, score=c.bm25) for c in candidates if c.bm25 > 0]
    return sorted(hits, key=lambda c: (-c.score, c.chunk_id))


def cap_per_document(ranked: Sequence[Chunk], per_document: int, limit: int) -> list[Chunk]:
    """The first `limit` chunks, at most `per_document` from any one document.

    A chunk whose pages a kept chunk of its document already covers waits: it is kept only
    if nothing else fills the `limit` (the order stays the ranking's). A long PDF cuts a page
    into several chunks, and two of them side by side cite one page where the next chunk
    would add another, often the one that answers. Unpaged formats are not affected."""
    kept: list[Chunk] = []
    waiting: list[Chunk] = []
    count: dict[int, int] = {}
    cited: set[tuple[int, int]] = set()
    for chunk in ranked:
        if count.get(chunk.document_id, 0) >= per_document:
            continue
        pages = {(chunk.document_id, page) for page in chunk.pages}
        if pages and pages <= cited:
            waiting.append(chunk)
            continue
        count[chunk.document_id] = count.get(chunk.document_id, 0) + 1
        cited |= pages
        kept.append(chunk)
        if len(kept) == limit:
            return kept
    for chunk in waiting:
        if len(kept) == limit:
            break
        if count[chunk.document_id] < per_document:
            count[chunk.document_id] += 1
            kept.append(chunk)
    position = {chunk.chunk_id: i for i, chunk in enumerate(ranked)}
    return sorted(kept, key=lambda c: position[c.chunk_id])
