"""Training throughput of `deskmate tone train --local` on this CPU, for tiny chat models.

    .venv/bin/python benchmarks/tone_local_train.py                 # tiny and small, 3 epochs
    .venv/bin/python benchmarks/tone_local_train.py --threads 1 --sizes tiny

For each size, a chat model is built on the spot (tests/tiny_lm.py: a BPE tokenizer trained on
the curated examples, ChatML template, random Llama weights) and trained with `LoraTrainer`
on the dataset `deskmate tone dataset` builds from examples/tone/examples.jsonl:
- end to end: tokens per second of the whole run as the trainer reports it (training steps,
  the held-out evaluation after each epoch, checkpoints);
- baseline, measured in the same run on the same model and batches, once before and once
  after the trainer's run (the mean is shown, so a change in background load is averaged
  out): bare forward + backward + optimizer steps with no evaluation, checkpoints or
  bookkeeping.
The ratio is what the trainer costs on top of the arithmetic. Tokens are the non-padding
input tokens of each batch. These models are far smaller than any real chat model; the
figures say nothing about a 7B model on a GPU, only that the loop itself is not the
bottleneck.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import torch
from common import ROOT, machine

from tests.tiny_lm import build_tiny_chat_model, dataset_texts
from training.tone.dataset import build_dataset, write_dataset
from training.tone.local.manifest import Hyperparameters
from training.tone.local.trainer import LocalRun, LoraTrainer

SIZES = {"tiny": (64, 2), "small": (256, 4)}  # hidden size, layers


class Quiet:
    def started(self, first_step: int, total_steps: int) -> None: ...

    def stepped(self, step: int, loss: float, tokens_per_second: float) -> None: ...

    def evaluated(self, epoch: int, held_out_loss: float) -> None: ...


def baseline(trainer: LoraTrainer, epochs: int) -> float:
    """Tokens/s of bare training steps over the same batches, no evaluation or checkpoints."""
    tokens, started = 0, time.perf_counter()
    for epoch in range(epochs):
        for batch in trainer._epoch(epoch):
            trainer._step(batch)
            tokens += batch.tokens
    return tokens / (time.perf_counter() - started)


def measure(name: str, folder: Path, data: Path, texts: list[str], epochs: int) -> None:
    hidden, layers = SIZES[name]
    model = build_tiny_chat_model(folder / name, texts, hidden=hidden, layers=layers)
    hp = Hyperparameters(epochs=epochs, lora_rank=8, learning_rate=2e-2, max_length=1024)
    before = baseline(LoraTrainer(LocalRun(model, data, folder / f"{name}-bare-1", hp)), epochs)
    trainer = LoraTrainer(LocalRun(model, data, folder / f"{name}-adapter", hp))
    record = trainer.train(Quiet())
    after = baseline(LoraTrainer(LocalRun(model, data, folder / f"{name}-bare-2", hp)), epochs)
    bare = (before + after) / 2
    end_to_end = record.tokens_per_second or 0.0
    print(
        f"{name:<6} hidden {hidden:>3}, {layers} layers, "
        f"{trainer.trainable_parameters:>7,} LoRA parameters: "
        f"{record.trained_tokens:>6,} tokens in {record.total_steps} steps; "
        f"end to end {end_to_end:>7,.0f} tokens/s, bare steps {bare:>7,.0f} tokens/s "
        f"(ratio {end_to_end / bare:.2f}); held-out loss "
        f"{record.held_out_loss_before:.3f} -> {record.held_out_loss:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--sizes", nargs="+", choices=sorted(SIZES), default=list(SIZES))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(machine())
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.epochs} epochs, fp32 CPU")
    print("load average at start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="deskmate-bench-lora-") as tmp:
        folder = Path(tmp)
        data = folder / "dataset"
        write_dataset(build_dataset(ROOT / "examples" / "tone" / "examples.jsonl"), data)
        texts = dataset_texts(data / "train.jsonl", data / "validation.jsonl")
        for name in args.sizes:
            measure(name, folder, data, texts, args.epochs)
    print("load average at end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
