"""What a local training run trained on what: `deskmate-tone.json` next to the adapter.

Written when a run starts, at every checkpoint and when it ends, so `deskmate tone status
--local DIR` can tell a finished adapter from an interrupted run, and a resumed run can check
that it continues the same training (same base model, data and hyperparameters).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from bot.errors import DeskmateError

MANIFEST = "deskmate-tone.json"
DATA_FILES = ("train.jsonl", "validation.jsonl")
Status = Literal["training", "done"]


class LocalTrainingError(DeskmateError):
    """Local fine-tuning cannot start or go on; the message says what to do."""


@dataclass(frozen=True)
class Hyperparameters:
    epochs: int = 3
    lora_rank: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    learning_rate: float = 2e-4
    batch_size: int = 4
    max_length: int = 2048
    seed: int = 7
    target_modules: str = "all-linear"


@dataclass(frozen=True)
class RunRecord:
    """One run: its inputs, where it is, and its held-out loss before and after each epoch."""

    base_model: str
    base_model_type: str
    dataset: str
    dataset_sha256: str
    train_examples: int
    held_out_examples: int
    held_out_source: str
    hyperparameters: Hyperparameters
    device: str
    dtype: str
    total_steps: int
    started_at: str
    fingerprint: str
    status: Status = "training"
    step: int = 0
    trained_tokens: int = 0
    tokens_per_second: float | None = None
    held_out_loss_before: float | None = None
    held_out_losses: tuple[float, ...] = ()
    finished_at: str | None = None
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def held_out_loss(self) -> float | None:
        return self.held_out_losses[-1] if self.held_out_losses else None

    def updated(self, **changes: Any) -> RunRecord:
        return replace(self, **changes)


def write_record(record: RunRecord, folder: Path) -> Path:
    """Write the record atomically, so an interrupted write never leaves half a file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MANIFEST
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(asdict(record), indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return path


def read_record(folder: Path) -> RunRecord:
    path = folder / MANIFEST
    if not folder.is_dir():
        raise LocalTrainingError(f"no folder {folder}; pass the --output of `tone train --local`")
    if not path.exists():
        raise LocalTrainingError(
            f"{folder} holds no {MANIFEST}; it was not written by `deskmate tone train --local`"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["hyperparameters"] = Hyperparameters(**data["hyperparameters"])
        data["held_out_losses"] = tuple(data.get("held_out_losses") or ())
        known = {f.name for f in fields(RunRecord)}
        return RunRecord(**{k: v for k, v in data.items() if k in known})
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise LocalTrainingError(f"{path} is damaged ({type(exc).__name__}: {exc})") from exc


def dataset_sha256(data: Path) -> str:
    """One hash over train.jsonl and validation.jsonl (when present), names included."""
    digest = hashlib.sha256()
    for name in DATA_FILES:
        path = data / name
        if path.exists():
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def fingerprint(*parts: object) -> str:
    """A short hash of what decides a run's result, to refuse resuming a different run."""
    text = json.dumps(
        [asdict(p) if isinstance(p, Hyperparameters) else p for p in parts], sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]
