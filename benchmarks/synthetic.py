"""Synthetic corpora for store benchmarks: clustered unit vectors, written with binary COPY."""

from __future__ import annotations

import numpy as np
import psycopg
from pgvector.psycopg import register_vector

from bot.store.vectors import to_db_vector

DIM = 384
CHUNKS_PER_DOCUMENT = 20


def clustered_vectors(n: int, dim: int = DIM, clusters: int = 500, seed: int = 7) -> np.ndarray:
    """Unit vectors with low intrinsic dimension, like sentence embeddings: topic clusters in a
    48-dimensional latent space, projected to `dim` dimensions, plus a little noise."""
    rng = np.random.default_rng(seed)
    latent_dim = 48
    centres = rng.standard_normal((clusters, latent_dim)).astype(np.float32)
    members = rng.integers(0, clusters, n)
    latent = centres[members] + 0.5 * rng.standard_normal((n, latent_dim)).astype(np.float32)
    projection = rng.standard_normal((latent_dim, dim)).astype(np.float32) / np.sqrt(latent_dim)
    vectors = latent @ projection + 0.05 * rng.standard_normal((n, dim)).astype(np.float32)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def queries_near(vectors: np.ndarray, count: int, seed: int = 11) -> np.ndarray:
    rng = np.random.default_rng(seed)
    picks = vectors[rng.integers(0, len(vectors), count)]
    noisy = picks + 0.05 * rng.standard_normal(picks.shape).astype(np.float32)
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def audiences(n: int, restricted_share: float = 0.1, seed: int = 3) -> np.ndarray:
    """True for chunks restricted to `hr` (by document), False for `everyone`."""
    rng = np.random.default_rng(seed)
    documents = (n + CHUNKS_PER_DOCUMENT - 1) // CHUNKS_PER_DOCUMENT
    restricted_docs = rng.random(documents) < restricted_share
    return np.repeat(restricted_docs, CHUNKS_PER_DOCUMENT)[:n]


def load(url: str, vectors: np.ndarray, restricted: np.ndarray, vector_type: str) -> int:
    """Write documents and chunks with binary COPY; returns the first chunk id."""
    n = len(vectors)
    documents = (n + CHUNKS_PER_DOCUMENT - 1) // CHUNKS_PER_DOCUMENT
    with psycopg.connect(url) as conn:
        register_vector(conn)
        with conn.cursor() as cur:
            with cur.copy(
                "COPY documents (source, path, title, content_hash, audience) FROM STDIN"
            ) as copy:
                for d in range(documents):
                    audience = ["hr"] if restricted[d * CHUNKS_PER_DOCUMENT] else ["everyone"]
                    copy.write_row(("synthetic", f"doc-{d}.md", f"Document {d}", str(d), audience))
            cur.execute("SELECT min(id) FROM documents WHERE source = 'synthetic'")
            first_doc = int(cur.fetchone()[0])  # type: ignore[index]
            cur.execute("SELECT coalesce(max(id), 0) + 1 FROM chunks")
            first_chunk = int(cur.fetchone()[0])  # type: ignore[index]
            sql = (
                "COPY chunks (document_id, ordinal, heading_path, heading_text, text, page,"
                " audience, embedding) FROM STDIN WITH (FORMAT BINARY)"
            )
            with cur.copy(sql) as copy:
                copy.set_types(
                    ["int8", "int4", "text[]", "text", "text", "int4", "text[]", vector_type]
                )
                for i in range(n):
                    d = i // CHUNKS_PER_DOCUMENT
                    copy.write_row(
                        (
                            first_doc + d,
                            i % CHUNKS_PER_DOCUMENT,
                            [f"Document {d}"],
                            f"Document {d}",
                            f"synthetic passage {i} about topic {i % 997}",
                            None,
                            ["hr"] if restricted[i] else ["everyone"],
                            to_db_vector(vectors[i], vector_type),
                        )
                    )
        conn.commit()
    return first_chunk
