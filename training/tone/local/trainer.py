"""LoRA fine-tuning of a local chat model on the tone dataset (`deskmate tone dataset`).

The same chat JSONL as the hosted backend: train.jsonl is trained on, validation.jsonl is the
held-out set whose loss is measured before training and after every epoch (when there is no
validation.jsonl, a seeded fifth of train.jsonl is held out instead). Loss is on the
assistant's tokens only. A fixed seed fixes the adapter's initial weights, the data order and
dropout, so a run resumed from a checkpoint ends with the same adapter as one never stopped.
"""

from __future__ import annotations

import math
import random
import time
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import peft
import torch
import transformers
from peft import (
    LoraConfig,
    TaskType,
    get_peft_model,
    get_peft_model_state_dict,
    set_peft_model_state_dict,
)
from torch.nn import functional
from transformers import get_linear_schedule_with_warmup

from training.tone.local.base_model import Device, load_base_model
from training.tone.local.chat_data import IGNORE, Batch, Messages, batches, tokenize_all
from training.tone.local.checkpoints import latest_checkpoint, remove_checkpoints, save_checkpoint
from training.tone.local.manifest import (
    MANIFEST,
    Hyperparameters,
    LocalTrainingError,
    RunRecord,
    dataset_sha256,
    fingerprint,
    read_record,
    write_record,
)
from training.tone.local.serving import write_serving
from training.tone.validation import check_file

HELD_OUT_FRACTION = 0.2
WARMUP_FRACTION = 0.05
MAX_GRAD_NORM = 1.0


class Interrupted(LocalTrainingError):
    """Training was stopped (Ctrl-C); the last checkpoint is where the next run resumes."""


class Progress(Protocol):
    """What the trainer reports while it runs; the CLI draws a progress bar from it."""

    def started(self, first_step: int, total_steps: int) -> None: ...

    def stepped(self, step: int, loss: float, tokens_per_second: float) -> None: ...

    def evaluated(self, epoch: int, held_out_loss: float) -> None: ...


@dataclass(frozen=True)
class LocalRun:
    base_model: Path
    data: Path
    output: Path
    hyperparameters: Hyperparameters = field(default_factory=Hyperparameters)
    checkpoint_every: int = 50
    device: str | None = None
    restart: bool = False


class LoraTrainer:
    """Loads the data and the base model, then trains a LoRA adapter on them."""

    def __init__(self, run: LocalRun) -> None:
        self.run = run
        hp = run.hyperparameters
        _check_output(run.output, run.restart)
        train, held_out, source = read_examples(run.data, hp.seed)
        self.device = Device.pick(run.device)
        base = load_base_model(run.base_model, self.device)
        self.tokenizer = base.tokenizer
        self.pad_id = int(base.tokenizer.pad_token_id or 0)
        self.train_set = tokenize_all(base.tokenizer, train, hp.max_length)
        self.held_out = tokenize_all(base.tokenizer, held_out, hp.max_length)
        torch.manual_seed(hp.seed)  # the adapter's initial weights
        with warnings.catch_warnings():  # peft reads an attribute transformers 5 deprecated
            warnings.filterwarnings("ignore", ".*is_gradient_checkpointing", FutureWarning)
            self.model: Any = get_peft_model(base.model, _lora_config(hp))
        self.steps_per_epoch = math.ceil(len(self.train_set) / hp.batch_size)
        self._batches: tuple[int, list[Batch]] | None = None  # (epoch, its batches)
        self._checkpoint_step = 0
        self.total_steps = hp.epochs * self.steps_per_epoch
        self.optimizer = torch.optim.AdamW(
            [p for p in self.model.parameters() if p.requires_grad], lr=hp.learning_rate
        )
        self.schedule = get_linear_schedule_with_warmup(  # type: ignore[no-untyped-call]
            self.optimizer, int(WARMUP_FRACTION * self.total_steps), self.total_steps
        )
        self.record = self._new_record(base.path, base.model_type, source)

    def _new_record(self, base: Path, model_type: str, held_out_source: str) -> RunRecord:
        hp, digest = self.run.hyperparameters, dataset_sha256(self.run.data)
        return RunRecord(
            base_model=str(base),
            base_model_type=model_type,
            dataset=str(self.run.data.resolve()),
            dataset_sha256=digest,
            train_examples=len(self.train_set),
            held_out_examples=len(self.held_out),
            held_out_source=held_out_source,
            hyperparameters=hp,
            device=self.device.name,
            dtype=self.device.dtype_name,
            total_steps=self.total_steps,
            started_at=_now(),
            fingerprint=fingerprint(str(base), _config_text(base), digest, hp),
            versions={"torch": torch.__version__, "transformers": transformers.__version__}
            | {"peft": peft.__version__},
        )

    @property
    def trainable_parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters() if p.requires_grad)

    def train(self, progress: Progress) -> RunRecord:
        """Train to the last step (resuming from the newest checkpoint), then save the adapter."""
        step = self._resume()
        if step == 0:
            self.record = self.record.updated(held_out_loss_before=self.held_out_loss())
        write_record(self.record, self.run.output)
        progress.started(step, self.total_steps)
        started, tokens = time.perf_counter(), 0
        try:
            while step < self.total_steps:
                epoch, index = divmod(step, self.steps_per_epoch)
                batch = self._epoch(epoch)[index]
                loss = self._step(batch)
                step, tokens = step + 1, tokens + batch.tokens
                speed = tokens / max(time.perf_counter() - started, 1e-9)
                self.record = self.record.updated(
                    step=step,
                    trained_tokens=self.record.trained_tokens + batch.tokens,
                    tokens_per_second=round(speed, 1),
                )
                self._after_step(step, progress)
                progress.stepped(step, loss, speed)
        except KeyboardInterrupt:
            saved = self._checkpoint_step
            raise Interrupted(
                f"stopped at step {step} of {self.total_steps}; "
                + (f"the checkpoint at step {saved} is kept, " if saved else "no checkpoint yet, ")
                + "run the same command again to resume"
            ) from None
        return self._finish()

    def held_out_loss(self) -> float:
        """Mean loss per assistant token over the held-out examples."""
        self.model.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for batch in batches(self.held_out, self.run.hyperparameters.batch_size, self.pad_id):
                summed, tokens = _summed_loss(self.model, batch.to(self.device.name))
                total, count = total + float(summed), count + tokens
        self.model.train()
        return total / max(count, 1)

    def _epoch(self, epoch: int) -> list[Batch]:
        if self._batches is None or self._batches[0] != epoch:
            hp = self.run.hyperparameters
            order = batches(self.train_set, hp.batch_size, self.pad_id, seed=hp.seed + epoch)
            self._batches = (epoch, order)
        return self._batches[1]

    def _step(self, batch: Batch) -> float:
        self.model.train()
        summed, tokens = _summed_loss(self.model, batch.to(self.device.name))
        loss = summed / max(tokens, 1)
        loss.backward()  # type: ignore[no-untyped-call]
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), MAX_GRAD_NORM)
        self.optimizer.step()
        self.schedule.step()
        self.optimizer.zero_grad(set_to_none=True)
        return float(loss.detach())

    def _after_step(self, step: int, progress: Progress) -> None:
        epoch_done = step % self.steps_per_epoch == 0
        if epoch_done:
            loss = self.held_out_loss()
            losses = (*self.record.held_out_losses, round(loss, 6))
            self.record = self.record.updated(held_out_losses=losses)
            progress.evaluated(step // self.steps_per_epoch, loss)
        if (epoch_done or step % self.run.checkpoint_every == 0) and step < self.total_steps:
            save_checkpoint(self.run.output, step, self._state(step))
            self._checkpoint_step = step
            write_record(self.record, self.run.output)

    def _state(self, step: int) -> dict[str, Any]:
        return {
            "step": step,
            "fingerprint": self.record.fingerprint,
            "adapter": get_peft_model_state_dict(self.model),
            "optimizer": self.optimizer.state_dict(),
            "schedule": self.schedule.state_dict(),
            "rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "record": {
                "trained_tokens": self.record.trained_tokens,
                "held_out_loss_before": self.record.held_out_loss_before,
                "held_out_losses": list(self.record.held_out_losses),
                "started_at": self.record.started_at,
            },
        }

    def _resume(self) -> int:
        if self.run.restart:
            remove_checkpoints(self.run.output)
            return 0
        found = latest_checkpoint(self.run.output)
        if found is None:
            return 0
        step, state = found
        if state.get("fingerprint") != self.record.fingerprint:
            raise LocalTrainingError(
                f"the checkpoints in {self.run.output} are from another run (a different base "
                "model, data or settings); pass --restart to start over, or another --output"
            )
        set_peft_model_state_dict(self.model, state["adapter"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        torch.set_rng_state(state["rng"])
        if state["cuda_rng"]:
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        saved = state["record"]
        self.record = self.record.updated(
            step=step,
            trained_tokens=saved["trained_tokens"],
            held_out_loss_before=saved["held_out_loss_before"],
            held_out_losses=tuple(saved["held_out_losses"]),
            started_at=saved["started_at"],
        )
        self._checkpoint_step = step
        return step

    def _finish(self) -> RunRecord:
        output = self.run.output
        self.model.save_pretrained(output)
        self.record = self.record.updated(status="done", finished_at=_now())
        write_record(self.record, output)
        write_serving(self.record, output)
        remove_checkpoints(output)
        return self.record


def read_examples(
    data: Path, seed: int
) -> tuple[list[tuple[str, Messages]], list[tuple[str, Messages]], str]:
    """(training, held-out, where the held-out set came from) from a dataset folder."""
    train_file, held_out_file = data / "train.jsonl", data / "validation.jsonl"
    if not train_file.is_file():
        raise LocalTrainingError(f"no {train_file}; run `deskmate tone dataset` first")
    train = _checked(train_file)
    if held_out_file.is_file():
        return train, _checked(held_out_file), held_out_file.name
    if len(train) < 2:
        raise LocalTrainingError(f"{train_file} has {len(train)} example(s); at least 2 needed")
    order = list(train)
    random.Random(seed).shuffle(order)  # noqa: S311 - a reproducible split, not security
    cut = max(1, round(len(order) * HELD_OUT_FRACTION))
    return order[cut:], order[:cut], f"{train_file.name} ({cut} held out, seed {seed})"


def _checked(path: Path) -> list[tuple[str, Messages]]:
    checked = check_file(path, limit=10**9)  # the model's own limit is --max-length
    if checked.problems:
        listed = "; ".join(map(str, checked.problems[:5]))
        raise LocalTrainingError(f"{len(checked.problems)} problem(s) in {path}: {listed}")
    if not checked.examples:
        raise LocalTrainingError(f"{path} holds no examples; run `deskmate tone dataset`")
    return [(f"{path.name}:{n}", m) for n, m in enumerate(checked.examples, start=1)]


def _check_output(output: Path, restart: bool) -> None:
    if output.exists() and not output.is_dir():
        raise LocalTrainingError(f"--output {output} is a file; give a folder")
    if output.is_dir() and any(output.iterdir()) and not (output / MANIFEST).exists():
        raise LocalTrainingError(
            f"--output {output} already holds files not written by `deskmate tone train "
            "--local`; give a new or empty folder"
        )
    if (output / MANIFEST).exists() and not restart:
        done = read_record(output)
        if done.status == "done":
            raise LocalTrainingError(
                f"{output} already holds a trained adapter (finished {done.finished_at}); "
                "give another --output, or pass --restart to train it again"
            )


def _lora_config(hp: Hyperparameters) -> LoraConfig:
    modules: str | list[str] = hp.target_modules
    if hp.target_modules != "all-linear":
        modules = [m.strip() for m in hp.target_modules.split(",") if m.strip()]
    return LoraConfig(
        r=hp.lora_rank,
        lora_alpha=hp.lora_alpha,
        lora_dropout=hp.lora_dropout,
        target_modules=modules,
        task_type=TaskType.CAUSAL_LM,
    )


def _summed_loss(model: Any, batch: Batch) -> tuple[torch.Tensor, int]:
    """Summed next-token loss over the labelled (assistant) tokens, and how many there were."""
    logits = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask).logits
    labels = batch.labels[:, 1:]
    summed = functional.cross_entropy(
        logits[:, :-1].float().reshape(-1, logits.shape[-1]),
        labels.reshape(-1),
        ignore_index=IGNORE,
        reduction="sum",
    )
    return summed, int((labels != IGNORE).sum())


def _config_text(path: Path) -> str:
    return (path / "config.json").read_text(encoding="utf-8")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
