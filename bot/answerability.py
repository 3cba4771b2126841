"""Is there an answer in the retrieved passages? The decision without an LLM.

One similarity floor cannot decide: near-topic questions the handbook does not answer ("can I
bring my dog to the office?") find passages as similar as real questions do. What tells them
apart is whether the passages hold the question's *informative* words: the share of the
question's BM25 weight (IDF) that the best passage covers. A question about a dog finds the
office page, but "dog" is in no passage, and that word carries most of the question's weight.
The question's words are its topic words: chat words around them ("how many", "do I get",
"im", "ok") are left out (bot.vocabulary), else they count as words the handbook lacks.

The evidence is `similarity + COVERAGE_WEIGHT * coverage`, answered from EVIDENCE_THRESHOLD on;
calibrated on the development questions of benchmarks/questions (docs/quality.md): weights
swept over both signals, the threshold kept where at least 92% of the answerable development
questions are answered. Held-out questions were only run for the final figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.models import Chunk

COVERAGE_WEIGHT = 0.9
EVIDENCE_THRESHOLD = 0.92
VECTOR_ONLY_FLOOR = 0.42  # without the keyword leg there is no coverage: similarity alone


@dataclass(frozen=True)
class Evidence:
    similarity: float  # the best passage's cosine similarity to the question
    coverage: float  # the largest share of the question's word weight one passage holds

    @property
    def score(self) -> float:
        return self.similarity + COVERAGE_WEIGHT * self.coverage


def evidence(chunks: Sequence[Chunk]) -> Evidence:
    return Evidence(
        similarity=max((c.similarity for c in chunks), default=0.0),
        coverage=max((c.coverage for c in chunks), default=0.0),
    )


def answerable(chunks: Sequence[Chunk], floor: float, mode: str = "hybrid") -> bool:
    """Whether to answer from `chunks`; below `floor` (DESKMATE_RELEVANCE_FLOOR) never."""
    found = evidence(chunks)
    if found.similarity < floor:
        return False
    if mode == "vector":
        return found.similarity >= max(floor, VECTOR_ONLY_FLOOR)
    return found.score >= EVIDENCE_THRESHOLD
