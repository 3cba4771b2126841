"""Grouping questions by meaning: a greedy, deterministic clustering on cosine similarity.

Questions are taken in the order given (oldest first); each joins the cluster whose centroid
is most similar, if at least `threshold`, else starts one. The same questions in the same
order always give the same clusters."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# all-MiniLM-L6-v2: paraphrases of one question score about 0.6-0.9 ("Where can I park my car
# at the office?" / "Do we have a car park for staff?" 0.69), unrelated questions about the
# office 0.1-0.4 (tests/integration/test_insights.py).
SIMILAR = 0.6


@dataclass(frozen=True)
class Cluster:
    members: tuple[int, ...]  # indices into the vectors clustered, in order
    central: int  # the member closest to the cluster's centroid: it names the cluster


def cluster(vectors: np.ndarray, threshold: float = SIMILAR) -> list[Cluster]:
    """Clusters of the unit-length rows of `vectors`, largest first (ties: oldest first)."""
    sums = np.zeros_like(vectors, dtype=np.float64)  # one row per cluster, `count` in use
    members: list[list[int]] = []
    for i, vector in enumerate(vectors):
        count = len(members)
        if count:
            totals = sums[:count]
            similarities = (totals @ vector) / np.maximum(np.linalg.norm(totals, axis=1), 1e-12)
            best = int(np.argmax(similarities))
            if similarities[best] >= threshold:
                members[best].append(i)
                sums[best] += vector
                continue
        members.append([i])
        sums[count] = vector
    clusters = [Cluster(tuple(m), _central(vectors, m, sums[c])) for c, m in enumerate(members)]
    return sorted(clusters, key=lambda c: (-len(c.members), c.members[0]))


def _central(vectors: np.ndarray, members: list[int], total: np.ndarray) -> int:
    similarities = vectors[members] @ total
    return members[int(np.argmax(similarities))]
