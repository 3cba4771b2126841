"""Chat examples as token ids and labels, laid out by the base model's own chat template.

Each conversation is rendered the way the served model will see it: for every assistant turn,
the prompt (everything before it, plus the template's generation prompt) carries no loss, and
the reply the template renders after it (its text and end-of-turn tokens) carries the loss.
Prompt and reply are tokenized as separate pieces, as at serving time the prompt is encoded
whole and the reply generated after it.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers import PreTrainedTokenizerBase

from training.tone.local.manifest import LocalTrainingError
from training.tone.validation import Problem

IGNORE = -100  # the label torch's cross entropy skips
Messages = Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class Tokenized:
    where: str
    input_ids: tuple[int, ...]
    labels: tuple[int, ...]

    @property
    def trained_tokens(self) -> int:
        return sum(1 for label in self.labels if label != IGNORE)


@dataclass(frozen=True)
class Batch:
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    labels: torch.Tensor

    @property
    def tokens(self) -> int:
        return int(self.attention_mask.sum())

    def to(self, device: str) -> Batch:
        return Batch(
            self.input_ids.to(device), self.attention_mask.to(device), self.labels.to(device)
        )


def tokenize(
    tokenizer: PreTrainedTokenizerBase, messages: Messages, where: str
) -> Tokenized | Problem:
    """The conversation's tokens, with labels on the assistant's tokens only."""
    conversation = [{"role": str(m["role"]), "content": str(m["content"])} for m in messages]
    ids: list[int] = []
    labels: list[int] = []
    covered = ""
    for turn, message in enumerate(conversation):
        if message["role"] != "assistant":
            continue
        try:
            prompt = _render(tokenizer, conversation[:turn], generation_prompt=True)
            full = _render(tokenizer, conversation[: turn + 1], generation_prompt=False)
        except Exception as exc:  # jinja's TemplateError and the template's own raise_exception
            return Problem(where, f"the base model's chat template refuses it: {exc}")
        if not prompt.startswith(covered) or not full.startswith(prompt):
            return Problem(
                where,
                "the base model's chat template does not render the prompt as the start of the "
                "conversation, so its reply tokens cannot be told apart",
            )
        prompt_ids = _encode(tokenizer, prompt[len(covered) :])
        reply_ids = _encode(tokenizer, full[len(prompt) :])
        ids += prompt_ids + reply_ids
        labels += [IGNORE] * len(prompt_ids) + reply_ids
        covered = full
    if not any(label != IGNORE for label in labels):
        return Problem(where, "no assistant reply: nothing to learn from")
    return Tokenized(where, tuple(ids), tuple(labels))


def tokenize_all(
    tokenizer: PreTrainedTokenizerBase,
    examples: Sequence[tuple[str, Messages]],
    max_length: int,
) -> list[Tokenized]:
    """Every example tokenized, or one error that lists each example that cannot be used."""
    done: list[Tokenized] = []
    problems: list[Problem] = []
    for where, messages in examples:
        result = tokenize(tokenizer, messages, where)
        if isinstance(result, Problem):
            problems.append(result)
        elif len(result.input_ids) > max_length:
            problems.append(
                Problem(where, f"{len(result.input_ids):,} tokens, over --max-length {max_length}")
            )
        else:
            done.append(result)
    if problems:
        listed = "; ".join(map(str, problems[:5]))
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise LocalTrainingError(f"{len(problems)} example(s) cannot be trained on: {listed}{more}")
    return done


def collate(examples: Sequence[Tokenized], pad_id: int) -> Batch:
    """Right-padded tensors; padding is masked out of attention and loss."""
    width = max(len(e.input_ids) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE, dtype=torch.long)
    for row, example in enumerate(examples):
        size = len(example.input_ids)
        ids[row, :size] = torch.tensor(example.input_ids)
        mask[row, :size] = 1
        labels[row, :size] = torch.tensor(example.labels)
    return Batch(ids, mask, labels)


def batches(
    examples: Sequence[Tokenized], batch_size: int, pad_id: int, seed: int | None = None
) -> list[Batch]:
    """The examples in batches: shuffled by `seed` (the same order for the same seed) or not."""
    order = list(examples)
    if seed is not None:
        random.Random(seed).shuffle(order)  # noqa: S311 - a reproducible order, not security
    return [
        collate(order[start : start + batch_size], pad_id)
        for start in range(0, len(order), batch_size)
    ]


def _render(
    tokenizer: PreTrainedTokenizerBase, messages: list[dict[str, str]], generation_prompt: bool
) -> str:
    if not messages:
        return ""
    text = tokenizer.apply_chat_template(
        messages, tokenize=False, add_generation_prompt=generation_prompt
    )
    return str(text)


def _encode(tokenizer: PreTrainedTokenizerBase, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False)["input_ids"]) if text else []
