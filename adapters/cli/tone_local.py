"""`deskmate tone train --local` and `deskmate tone status --local`: the tone model trained on
your own hardware. torch, transformers and peft (the `tone-local` extra) are imported only
when a local run starts; `status --local` reads the run's manifest and needs none of them."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from bot.errors import DeskmateError
from training.tone.local.manifest import Hyperparameters, RunRecord, read_record
from training.tone.local.serving import SERVING

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
EXTRA_MISSING = (
    "local training needs the tone-local extra (torch, transformers, peft): "
    "pip install 'deskmate[tone-local]'"
)


class ProgressBar:
    """The trainer's progress as a rich bar: step, loss, tokens/s, time left."""

    def __init__(self, quiet: bool) -> None:
        self._bar = Progress(
            TextColumn("[bold]Training[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"),
            TextColumn("{task.fields[speed]} tokens/s"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
            disable=quiet,
        )
        self._task = self._bar.add_task("train", total=None, loss="–", speed="–")
        self._quiet = quiet

    def __enter__(self) -> ProgressBar:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def started(self, first_step: int, total_steps: int) -> None:
        self._bar.update(self._task, total=total_steps, completed=first_step)
        if first_step and not self._quiet:
            err.print(f"Resuming from the checkpoint at step {first_step} of {total_steps}")

    def stepped(self, step: int, loss: float, tokens_per_second: float) -> None:
        speed = f"{tokens_per_second:,.0f}"
        self._bar.update(self._task, completed=step, loss=f"{loss:.4f}", speed=speed)

    def evaluated(self, epoch: int, held_out_loss: float) -> None:
        if not self._quiet:
            self._bar.console.print(f"Epoch {epoch}: held-out loss {held_out_loss:.4f}")


def train_local(
    base_model: Path,
    data: Path,
    output: Path,
    hyperparameters: Hyperparameters,
    *,
    checkpoint_every: int,
    device: str | None,
    restart: bool,
    as_json: bool,
) -> None:
    try:
        from training.tone.local.trainer import Interrupted, LocalRun, LoraTrainer
    except ImportError as exc:
        _fail(f"{EXTRA_MISSING} ({exc.name} is missing)")
    run = LocalRun(base_model, data, output, hyperparameters, checkpoint_every, device, restart)
    if not as_json:
        console.print(f"Loading the base model from {escape(str(base_model))} …")
    try:
        trainer = LoraTrainer(run)
        if not as_json:
            _print_plan(trainer.record, trainer.trainable_parameters)
        with ProgressBar(quiet=as_json) as bar:
            record = trainer.train(bar)
    except Interrupted as exc:
        _fail(f"interrupted: {exc}", code=130)
    except DeskmateError as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(record_json(record, output)))
        return
    console.print(f"Held-out loss: {_losses(record)}")
    console.print(f"Adapter: [bold]{escape(str(output.resolve()))}[/]")
    console.print(f"How to serve it: {escape(str(output.resolve() / SERVING))}")
    console.print(f"Check it: deskmate tone status --local {escape(str(output))}")


def status_local(output: Path, as_json: bool) -> None:
    try:
        record = read_record(output)
    except DeskmateError as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(record_json(record, output)))
        return
    hp = record.hyperparameters
    if record.status == "done":
        console.print(f"Adapter {escape(str(output.resolve()))}: trained ({record.finished_at})")
    else:
        console.print(
            f"Adapter {escape(str(output.resolve()))}: not finished, running or stopped "
            f"(last checkpoint at step {record.step} of {record.total_steps}); run the same "
            "`deskmate tone train --local` command to resume"
        )
    console.print(f"Base model: {escape(record.base_model)} ({record.base_model_type})")
    console.print(
        f"Dataset: {escape(record.dataset)} (sha256 {record.dataset_sha256[:12]}), "
        f"{record.train_examples} training / {record.held_out_examples} held-out examples "
        f"(held out: {escape(record.held_out_source)})"
    )
    console.print(
        f"LoRA rank {hp.lora_rank}, alpha {hp.lora_alpha}, dropout {hp.lora_dropout}, "
        f"{escape(hp.target_modules)}; {hp.epochs} epochs, batch {hp.batch_size}, "
        f"learning rate {hp.learning_rate:g}, seed {hp.seed}; {record.device} ({record.dtype})"
    )
    console.print(f"Held-out loss: {_losses(record)}")
    speed = f" ({record.tokens_per_second:,.0f} tokens/s)" if record.tokens_per_second else ""
    console.print(f"Trained tokens: {record.trained_tokens:,}{speed}")
    if record.status == "done":
        console.print(f"How to serve it: {escape(str(output.resolve() / SERVING))}")


def record_json(record: RunRecord, output: Path) -> dict[str, Any]:
    return asdict(record) | {
        "adapter": str(output.resolve()),
        "held_out_loss": record.held_out_loss,
    }


def _print_plan(record: RunRecord, trainable: int) -> None:
    hp = record.hyperparameters
    console.print(
        f"Base model: {record.base_model_type}; LoRA rank {hp.lora_rank} on "
        f"{escape(hp.target_modules)}: {trainable:,} trainable parameters; "
        f"{record.device} ({record.dtype})"
    )
    console.print(
        f"Data: {record.train_examples} training, {record.held_out_examples} held-out examples "
        f"({escape(record.held_out_source)}); {hp.epochs} epochs = {record.total_steps} steps"
    )


def _losses(record: RunRecord) -> str:
    before = record.held_out_loss_before
    text = "n/a" if before is None else f"{before:.4f} before training"
    if record.held_out_losses:
        epochs = ", ".join(f"{loss:.4f}" for loss in record.held_out_losses)
        text += f" -> {record.held_out_losses[-1]:.4f} after (by epoch: {epochs})"
    return text


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]error:[/] {escape(message)}")
    raise typer.Exit(code)
