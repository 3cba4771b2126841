"""Checks on chat fine-tuning data, after OpenAI's data-preparation guidance.

Format errors per line (not JSON, no messages, unknown keys or roles, missing content, no
assistant reply), the minimum example count, per-example token counts against the limit, and
the tokens a job would bill for the chosen number of epochs.

Token counts are estimated as ceil(characters / 4) per message, plus OpenAI's framing of 3
tokens per message and 3 per reply: no tokenizer is downloaded. For English prose the estimate
is usually within 10-25% of the real count.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 3
TOKENS_PER_REPLY = 3
DEFAULT_MAX_TOKENS = 16_385
MIN_EXAMPLES = 10
RECOMMENDED_EXAMPLES = 50
TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MAX_DEFAULT_EPOCHS = 25
ROLES = frozenset({"system", "user", "assistant", "tool", "function"})
MESSAGE_KEYS = frozenset({"role", "content", "name", "weight", "function_call", "tool_calls"})
ESTIMATE_NOTE = (
    "token counts are estimates (ceil(characters / 4) per message + 3 per message + 3 per "
    "reply; no tokenizer is downloaded), usually within 10-25% of OpenAI's count"
)

Messages = Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the data, and where: "examples.jsonl:7" or "dataset"."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class TokenReport:
    examples: int
    limit: int
    smallest: int
    largest: int
    mean: float
    over_limit: int
    epochs: int
    billed_tokens: int


@dataclass(frozen=True)
class CheckedFile:
    """A JSONL file of chat examples as read: the good examples and each line's problems."""

    path: Path
    examples: tuple[tuple[dict[str, Any], ...], ...]
    problems: tuple[Problem, ...]


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def example_tokens(messages: Messages) -> int:
    """Estimated prompt + completion tokens of one chat example."""
    total = TOKENS_PER_REPLY
    for message in messages:
        total += TOKENS_PER_MESSAGE + estimate_tokens(str(message.get("content") or ""))
        if message.get("name"):
            total += 1
    return total


def format_problems(record: object, where: str) -> list[Problem]:
    """OpenAI's format checks for one parsed line of a chat fine-tuning file."""
    if not isinstance(record, dict):
        return [Problem(where, "not a JSON object")]
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        return [Problem(where, 'no "messages" list')]
    problems = []
    for number, message in enumerate(messages, start=1):
        problems += _message_problems(message, f"{where} message {number}")
    if not any(isinstance(m, dict) and m.get("role") == "assistant" for m in messages):
        problems.append(Problem(where, "no assistant message: nothing to learn from"))
    return problems


def _message_problems(message: object, where: str) -> list[Problem]:
    if not isinstance(message, dict) or "role" not in message:
        return [Problem(where, 'missing "role"')]
    problems = []
    unknown = sorted(set(message) - MESSAGE_KEYS)
    if unknown:
        problems.append(Problem(where, f"unknown key(s) {', '.join(unknown)}"))
    if message["role"] not in ROLES:
        problems.append(Problem(where, f"unknown role {message['role']!r}"))
    content = message.get("content")
    if content is None and not message.get("function_call") and not message.get("tool_calls"):
        problems.append(Problem(where, 'missing "content"'))
    elif content is not None and not isinstance(content, str):
        problems.append(Problem(where, '"content" must be text'))
    elif message["role"] == "assistant" and isinstance(content, str) and not content.strip():
        problems.append(Problem(where, "empty answer"))
    return problems


def size_problem(messages: Messages, where: str, limit: int) -> Problem | None:
    tokens = example_tokens(messages)
    if tokens <= limit:
        return None
    return Problem(where, f"about {tokens:,} tokens, over the {limit:,}-token limit per example")


def read_jsonl(path: Path) -> tuple[list[tuple[str, Any]], list[Problem]]:
    """(where, parsed record) for each non-blank line, and a problem for each bad one."""
    records: list[tuple[str, Any]] = []
    problems: list[Problem] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(path.name, f"cannot read the file ({exc})")]
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path.name}:{number}"
        try:
            records.append((where, json.loads(line)))
        except json.JSONDecodeError as exc:
            problems.append(Problem(where, f"not valid JSON ({exc.msg} at column {exc.colno})"))
    return records, problems


def check_file(path: Path, limit: int = DEFAULT_MAX_TOKENS) -> CheckedFile:
    """Every problem in a chat fine-tuning file, line by line."""
    records, problems = read_jsonl(path)
    examples = []
    for where, record in records:
        found = format_problems(record, where)
        if not found:
            oversize = size_problem(record["messages"], where, limit)
            found = [oversize] if oversize else []
        problems += found
        if not found:
            examples.append(tuple(record["messages"]))
    return CheckedFile(path, tuple(examples), tuple(problems))


def epochs_for(training_examples: int, chosen: int | None = None) -> int:
    """The epochs a job runs: the chosen number, else OpenAI's default for this many examples."""
    if chosen:
        return chosen
    if training_examples <= 0:
        return TARGET_EPOCHS
    if training_examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        return min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // training_examples)
    if training_examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        return max(1, MAX_TARGET_EXAMPLES // training_examples)
    return TARGET_EPOCHS


def token_report(
    examples: Sequence[Messages], epochs: int | None = None, limit: int = DEFAULT_MAX_TOKENS
) -> TokenReport:
    """Sizes of the training examples and the tokens a job over them would bill."""
    counts = [example_tokens(m) for m in examples] or [0]
    chosen = epochs_for(len(examples), epochs)
    return TokenReport(
        examples=len(examples),
        limit=limit,
        smallest=min(counts),
        largest=max(counts),
        mean=sum(counts) / len(counts),
        over_limit=sum(1 for c in counts if c > limit),
        epochs=chosen,
        billed_tokens=chosen * sum(min(c, limit) for c in counts),
    )
