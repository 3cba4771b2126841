"""Checkpoints of a local run, so an interrupted run resumes where it stopped.

Each checkpoint is `checkpoints/step-NNNNNN/state.pt` in the output folder: the adapter's
weights, the optimizer and learning-rate schedule, the random number generators and the
held-out losses so far. A checkpoint is written under a temporary name and renamed when
complete, so a run killed while writing one leaves the previous one intact. The last two are
kept; they are removed once the adapter is saved.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import torch

from training.tone.local.manifest import LocalTrainingError

FOLDER = "checkpoints"
STATE = "state.pt"
KEEP = 2
_NAME = re.compile(r"step-(\d{6,})")


def checkpoint_folder(output: Path) -> Path:
    return output / FOLDER


def save_checkpoint(output: Path, step: int, state: dict[str, Any]) -> Path:
    folder = checkpoint_folder(output)
    final = folder / f"step-{step:06d}"
    partial = folder / f"step-{step:06d}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    torch.save(state, partial / STATE)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(partial, final)
    for old in _steps(folder)[:-KEEP]:
        shutil.rmtree(old[1], ignore_errors=True)
    return final


def latest_checkpoint(output: Path) -> tuple[int, dict[str, Any]] | None:
    """(step, state) of the newest complete checkpoint, or None when there is none."""
    found = _steps(checkpoint_folder(output))
    if not found:
        return None
    step, folder = found[-1]
    try:
        state: dict[str, Any] = torch.load(folder / STATE, weights_only=True)
    except Exception as exc:  # torch raises several kinds on a damaged file
        raise LocalTrainingError(
            f"the checkpoint {folder} cannot be read ({type(exc).__name__}); delete it to "
            "resume from the one before, or pass --restart"
        ) from exc
    return step, state


def remove_checkpoints(output: Path) -> None:
    shutil.rmtree(checkpoint_folder(output), ignore_errors=True)


def _steps(folder: Path) -> list[tuple[int, Path]]:
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = _NAME.fullmatch(path.name)
        if match and (path / STATE).is_file():
            found.append((int(match.group(1)), path))
    return sorted(found)
