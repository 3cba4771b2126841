"""The tone model's training data: curated examples and 👍 answers -> chat fine-tuning JSONL.

Curated examples (`tone/examples.jsonl`, written by the comms/HR team; see docs/tone.md) are one
JSON object per line: `answer` in the house voice, plus either a `draft` to rewrite (optionally
with the `question`) or a `question` with the `context` passages to answer from. A 👍 answer is
kept as it was sent (draft = answer), or, when an admin edited it, taught as a rewrite from
the sent answer to the edited one. Every example uses the same prompts as the tone model at
answer time. E-mail addresses and phone numbers are scrubbed, duplicates dropped, examples that
lose or invent facts rejected, and the rest split into training and validation sets.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.models import Chunk
from bot.prompts import answer_user_message
from bot.store.feedback import Feedback
from bot.tone.fact_guard import NUMERIC_KINDS, compare, invented
from bot.tone.prompts import DIRECT_SYSTEM, TONE_SYSTEM, rewrite_user_message
from training.tone.scrub import scrub
from training.tone.validation import (
    DEFAULT_MAX_TOKENS,
    MIN_EXAMPLES,
    RECOMMENDED_EXAMPLES,
    Problem,
    read_jsonl,
    size_problem,
)

CURATED_FIELDS = frozenset({"id", "notes", "question", "draft", "context", "answer"})


@dataclass(frozen=True)
class Example:
    """One training conversation (system, user, assistant) and where it came from."""

    messages: tuple[dict[str, str], ...]
    origin: str

    def to_json(self) -> str:
        return json.dumps({"messages": list(self.messages)}, ensure_ascii=False)


@dataclass(frozen=True)
class Edit:
    """An admin's change to a 👍 answer: new text, or None to leave the answer out."""

    answer: str | None
    where: str


@dataclass(frozen=True)
class Dataset:
    train: tuple[Example, ...]
    validation: tuple[Example, ...]
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    curated: int
    liked: int
    duplicates: int
    scrubbed: int

    @property
    def ok(self) -> bool:
        return not self.errors


def build_dataset(
    curated: Path | None,
    liked: Sequence[Feedback] = (),
    edits: Mapping[str, Edit] | None = None,
    *,
    validation_fraction: float = 0.2,
    seed: int = 7,
    max_tokens: int = DEFAULT_MAX_TOKENS,
) -> Dataset:
    examples, errors = read_curated(curated) if curated else ([], [])
    from_feedback, feedback_errors, warnings = from_liked(liked, edits or {})
    errors += feedback_errors
    everything, scrubbed = scrub_examples([*examples, *from_feedback])
    unique, duplicates = deduplicate(everything)
    errors += [p for e in unique if (p := size_problem(e.messages, e.origin, max_tokens))]
    train, validation = split(unique, validation_fraction, seed)
    if len(train) < MIN_EXAMPLES:
        errors.append(
            Problem(
                "dataset",
                f"{len(train)} training examples; OpenAI needs at least {MIN_EXAMPLES}. "
                "Add curated examples or collect more 👍 answers",
            )
        )
    elif len(train) < RECOMMENDED_EXAMPLES:
        warnings.append(
            Problem(
                "dataset",
                f"{len(train)} training examples; OpenAI usually sees clear gains "
                f"from {RECOMMENDED_EXAMPLES} to 100",
            )
        )
    return Dataset(
        tuple(train),
        tuple(validation),
        tuple(errors),
        tuple(warnings),
        curated=len(examples),
        liked=len(from_feedback),
        duplicates=duplicates,
        scrubbed=scrubbed,
    )


def read_curated(path: Path) -> tuple[list[Example], list[Problem]]:
    """The curated examples in `path`, and a problem for every line that cannot be used."""
    records, problems = read_jsonl(path)
    examples = []
    for where, record in records:
        example, found = curated_example(record, where)
        problems += found
        if example is not None:
            examples.append(example)
    return examples, problems


def curated_example(record: Any, where: str) -> tuple[Example | None, list[Problem]]:
    if not isinstance(record, dict):
        return None, [Problem(where, "not a JSON object")]
    problems = [
        Problem(where, f"unknown field {k!r}") for k in sorted(set(record) - CURATED_FIELDS)
    ]
    for key in ("question", "draft", "answer"):
        if key in record and not isinstance(record[key], str):
            problems.append(Problem(where, f'"{key}" must be text'))
    passages = _passages(record.get("context"))
    if "context" in record and passages is None:
        problems.append(Problem(where, '"context" must be text, or a list of texts'))
    if problems:
        return None, problems
    question, draft, answer = (
        str(record.get(k) or "").strip() for k in ("question", "draft", "answer")
    )
    if not answer:
        return None, [Problem(where, '"answer" is empty')]
    if bool(draft) == bool(passages):
        return None, [Problem(where, 'give either a "draft" to rewrite or the "context"')]
    if passages and not question:
        return None, [Problem(where, '"question" is required with "context"')]
    if draft:
        return rewrite_example(question, draft, answer, where)
    return direct_example(question, passages or [], answer, where)


def rewrite_example(
    question: str, draft: str, answer: str, where: str
) -> tuple[Example | None, list[Problem]]:
    """A rewrite lesson; one that drops or invents a fact would teach exactly that, so no."""
    check = compare(draft, answer)
    if not check.ok:
        return None, [
            Problem(where, f"the answer does not keep the draft's facts ({check.describe()})")
        ]
    return _example(TONE_SYSTEM, rewrite_user_message(question, draft), answer, where), []


def direct_example(
    question: str, passages: Sequence[tuple[str, str]], answer: str, where: str
) -> tuple[Example | None, list[Problem]]:
    chunks = [_chunk(number, source, text) for number, (source, text) in enumerate(passages, 1)]
    user = answer_user_message(question, chunks)
    new = invented(user, answer, NUMERIC_KINDS | {"url"})
    if new:
        found = ", ".join(map(str, new))
        return None, [Problem(where, f"the answer states {found}, which the context does not")]
    return _example(DIRECT_SYSTEM, user, answer, where), []


def read_edits(path: Path) -> tuple[dict[str, Edit], list[Problem]]:
    """Admin edits of 👍 answers: `{"answer_id": ..., "answer": "..."}` or `"drop": true`."""
    records, problems = read_jsonl(path)
    edits: dict[str, Edit] = {}
    for where, record in records:
        if not isinstance(record, dict) or not isinstance(record.get("answer_id"), str):
            problems.append(Problem(where, 'each line needs an "answer_id"'))
        elif record.get("drop") is True:
            edits[record["answer_id"]] = Edit(None, where)
        elif isinstance(record.get("answer"), str) and record["answer"].strip():
            edits[record["answer_id"]] = Edit(record["answer"].strip(), where)
        else:
            problems.append(Problem(where, 'give the edited "answer", or "drop": true'))
    return edits, problems


def from_liked(
    liked: Iterable[Feedback], edits: Mapping[str, Edit]
) -> tuple[list[Example], list[Problem], list[Problem]]:
    """(examples, errors, warnings) from 👍 answers, with the admins' edits applied."""
    examples, errors = [], []
    seen = set()
    for feedback in liked:
        if feedback.answer_id in seen:
            continue  # 👍 from several people: one example
        seen.add(feedback.answer_id)
        edit = edits.get(feedback.answer_id)
        if edit is not None and edit.answer is None:
            continue
        where = edit.where if edit else f"👍 answer {feedback.answer_id}"
        target = edit.answer if edit and edit.answer else feedback.answer
        example, found = rewrite_example(feedback.question, feedback.answer, target, where)
        errors += found
        if example is not None:
            examples.append(example)
    warnings = [
        Problem(edit.where, f"no 👍 answer has id {answer_id!r}; edit ignored")
        for answer_id, edit in edits.items()
        if answer_id not in seen
    ]
    return examples, errors, warnings


def scrub_examples(examples: Iterable[Example]) -> tuple[list[Example], int]:
    scrubbed, total = [], 0
    for example in examples:
        messages = []
        for message in example.messages:
            content, count = scrub(message["content"])
            total += count
            messages.append({**message, "content": content})
        scrubbed.append(replace(example, messages=tuple(messages)))
    return scrubbed, total


def deduplicate(examples: Iterable[Example]) -> tuple[list[Example], int]:
    """The first example for each prompt (curated ones come first); and how many were dropped."""
    kept: dict[str, Example] = {}
    duplicates = 0
    for example in examples:
        key = " ".join(m["content"] for m in example.messages if m["role"] != "assistant")
        key = " ".join(key.split()).casefold()
        if key in kept:
            duplicates += 1
        else:
            kept[key] = example
    return list(kept.values()), duplicates


def split(
    examples: Sequence[Example], validation_fraction: float, seed: int
) -> tuple[list[Example], list[Example]]:
    """A shuffled, reproducible split; at least one validation example when asked for any."""
    order = list(examples)
    random.Random(seed).shuffle(order)  # noqa: S311 - a reproducible split, not security
    wanted = round(len(order) * validation_fraction)
    held_out = max(1, wanted) if validation_fraction > 0 and len(order) > 1 else 0
    return order[held_out:], order[:held_out]


def write_dataset(dataset: Dataset, out: Path) -> tuple[Path, Path | None]:
    """train.jsonl and (when there is a validation set) validation.jsonl in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    train = out / "train.jsonl"
    train.write_text("".join(e.to_json() + "\n" for e in dataset.train), encoding="utf-8")
    validation = out / "validation.jsonl"
    if not dataset.validation:
        validation.unlink(missing_ok=True)
        return train, None
    validation.write_text("".join(e.to_json() + "\n" for e in dataset.validation), encoding="utf-8")
    return train, validation


def export_liked(liked: Iterable[Feedback], path: Path) -> int:
    """Write 👍 answers in the edits format, for an admin to edit (or drop) before training."""
    lines, seen = [], set()
    for feedback in liked:
        if feedback.answer_id not in seen:
            seen.add(feedback.answer_id)
            record = {"answer_id": feedback.answer_id, "question": feedback.question}
            lines.append(json.dumps(record | {"answer": feedback.answer}, ensure_ascii=False))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(lines)


def _example(system: str, user: str, answer: str, origin: str) -> Example:
    messages = (
        {"role": "system", "content": system},
        {"role": "user", "content": user},
        {"role": "assistant", "content": answer},
    )
    return Example(messages, origin)


def _passages(context: Any) -> list[tuple[str, str]] | None:
    """Context as (source, text) passages: a text, or a list of texts or {source, text}."""
    items = [context] if isinstance(context, str) else context
    if context is None or not isinstance(items, list):
        return None
    passages = []
    for item in items:
        if isinstance(item, str) and item.strip():
            passages.append(("", item.strip()))
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            passages.append((str(item.get("source") or ""), item["text"].strip()))
        else:
            return None
    return passages or None


def _chunk(number: int, source: str, text: str) -> Chunk:
    """A passage as the answer prompt shows it at run time."""
    heading = tuple(s.strip() for s in source.split(">")) if source else ()
    return Chunk(
        chunk_id=number,
        document_id=number,
        source="examples",
        path=f"context-{number}",
        title=source or "Context",
        url=None,
        heading_path=heading,
        text=text,
        page=None,
        updated_at=None,
        indexed_at=None,
        score=1.0,
        similarity=1.0,
    )
