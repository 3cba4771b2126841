"""Conversions between numpy arrays and pgvector's column types."""

from __future__ import annotations

import numpy as np

try:
    from pgvector import HalfVector  # pgvector >= 0.4
except ImportError:  # pragma: no cover
    from pgvector.utils import HalfVector


def to_db_vector(vector: np.ndarray, vector_type: str) -> object:
    """The value psycopg sends for a `vector` or `halfvec` column."""
    if vector_type == "halfvec":
        return HalfVector(vector.astype(np.float16))
    return vector.astype(np.float32)


def to_numpy(value: object) -> np.ndarray:
    to_array = getattr(value, "to_numpy", None)
    if to_array is not None:
        return np.asarray(to_array(), dtype=np.float32)
    return np.asarray(value, dtype=np.float32)
