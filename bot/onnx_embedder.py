"""all-MiniLM-L6-v2 on ONNX Runtime: the default local embedder, no torch at run time.

The model's own `tokenizer.json` (through `tokenizers`) with its sentence-transformers limits
(256 tokens, padding to the longest text of a batch), the exported encoder, then the pooling
the model defines in `modules.json`: mean over the attention mask, normalised to unit length.

Settings for 2 cores: one intra-op thread per core (DESKMATE_EMBED_THREADS), no inter-op
parallelism (one graph runs at a time; the second core would only contend), texts sorted by
length before batching so a batch pads little, 8 texts per batch (DESKMATE_EMBED_BATCH_SIZE):
measured by `benchmarks/embed_backends.py --sweep` on 2 cores, int8 embeds 52.6 chunks/s at 8,
46.0 at 16, 39.5 at 32 and 29.9 at 128; larger batches only add activations that fall out of
the CPU cache (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.errors import ConfigError
from bot.onnx_export import Variant, prepare

if TYPE_CHECKING:
    from tokenizers import Tokenizer

MODEL = "all-MiniLM-L6-v2"
BATCH_SIZE = 8


class OnnxEmbedder:
    """all-MiniLM-L6-v2 exported to ONNX (`int8` by default), 384 dimensions."""

    dimensions = 384

    def __init__(
        self, cache: Path, variant: Variant = "int8", threads: int = 0, batch_size: int = 0
    ) -> None:
        self.name = f"{MODEL}:onnx-{variant}"
        self._cache = cache
        self._variant: Variant = variant
        self._threads = threads or os.cpu_count() or 1
        self._batch_size = batch_size or BATCH_SIZE
        self._path: str | None = None

    def load(self) -> None:
        """Export (the first time) and load the model now rather than on the first question."""
        self._model()

    def _model(self) -> _Model:
        if self._path is None:
            self._path = str(prepare(self._cache, self._variant))
        return _load(self._path, self._threads)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        model = self._model()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.dimensions), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            rows = order[start : start + self._batch_size]
            out[rows] = model.encode([texts[i] for i in rows])
        return out


class _Model:
    def __init__(self, path: str, threads: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        source = Path(path).parent  # the export carries the model's tokenizer and pooling files
        _check_pooling(source)
        limits = json.loads((source / "sentence_bert_config.json").read_text())
        self.tokenizer: Tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=int(limits["max_seq_length"]))
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            path, sess_options=options, providers=["CPUExecutionProvider"]
        )

    def encode(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        (hidden,) = self.session.run(["last_hidden_state"], feeds)
        return mean_pool(np.asarray(hidden, dtype=np.float32), mask)


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors the attention mask keeps, scaled to unit length."""
    weights = mask[:, :, None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    pooled = summed / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    unit: np.ndarray = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
    return unit


def _check_pooling(source: Path) -> None:
    """The pooling this embedder implements is the one the packaged model declares."""
    pooling = json.loads((source / "1_Pooling" / "config.json").read_text())
    modules = [m["type"] for m in json.loads((source / "modules.json").read_text())]
    if not pooling.get("pooling_mode_mean_tokens") or not any(
        m.endswith("Normalize") for m in modules
    ):
        raise ConfigError(
            f"the model in {source} does not use mean pooling with normalisation; "
            "set DESKMATE_EMBEDDINGS=local-torch"
        )


@lru_cache(maxsize=4)
def _load(path: str, threads: int) -> _Model:
    return _Model(path, threads)
