"""Answer-quality evaluation: retrieval recall@k and MRR, refusals, access-control leaks,
fact containment and latency, over a JSONL file of questions (`deskmate eval`)."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import ConfigError
from bot.models import Answer


@dataclass(frozen=True)
class Case:
    question: str
    expected_sources: tuple[str, ...] = ()
    asker: str | None = None
    answerable: bool = True
    must_contain: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    case: Case
    ranked: tuple[str, ...]  # "source:path" of retrieved documents, best first
    answered: bool
    recall: float | None
    reciprocal_rank: float | None
    refused_correctly: bool | None
    leaks: tuple[str, ...]
    facts_found: float | None
    latency_ms: float
    answer_text: str = ""


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)

    def _mean(self, values: Sequence[float | None]) -> float | None:
        present = [v for v in values if v is not None]
        return statistics.fmean(present) if present else None

    @property
    def recall(self) -> float | None:
        return self._mean([o.recall for o in self.outcomes])

    @property
    def mrr(self) -> float | None:
        return self._mean([o.reciprocal_rank for o in self.outcomes])

    @property
    def refusal_accuracy(self) -> float | None:
        refusals = [o.refused_correctly for o in self.outcomes if o.refused_correctly is not None]
        return self._mean([1.0 if r else 0.0 for r in refusals])

    @property
    def leaks(self) -> int:
        return sum(len(o.leaks) for o in self.outcomes)

    @property
    def fact_containment(self) -> float | None:
        return self._mean([o.facts_found for o in self.outcomes])

    def latency_ms(self, pct: float) -> float:
        ordered = sorted(o.latency_ms for o in self.outcomes)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "questions": len(self.outcomes),
            "recall_at_k": self.recall,
            "mrr": self.mrr,
            "refusal_accuracy": self.refusal_accuracy,
            "access_leaks": self.leaks,
            "fact_containment": self.fact_containment,
            "latency_p50_ms": self.latency_ms(50),
            "latency_p95_ms": self.latency_ms(95),
        }


def load_cases(path: Path) -> list[Case]:
    cases = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            cases.append(
                Case(
                    question=str(data["question"]),
                    expected_sources=tuple(data.get("expected_sources") or ()),
                    asker=data.get("asker"),
                    answerable=bool(data.get("answerable", True)),
                    must_contain=tuple(data.get("must_contain") or ()),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path}:{number}: not a valid question line ({exc})") from exc
    if not cases:
        raise ConfigError(f"{path} holds no questions")
    return cases


def matches(expected: str, document: str) -> bool:
    """An expected source (path, title or URL fragment) names a retrieved document."""
    return expected.lower() in document.lower()


def score(
    case: Case,
    ranked: Sequence[str],
    answer: Answer,
    forbidden: Sequence[str],
    latency_ms: float,
    k: int,
    check_facts: bool,
) -> Outcome:
    """Score one answer. `ranked` describes retrieved documents (best first) as
    "source:path title url"; `forbidden` lists sources the asker may not see."""
    top = list(ranked)[:k]
    recall = rr = None
    if case.expected_sources:
        found = [e for e in case.expected_sources if any(matches(e, d) for d in top)]
        recall = len(found) / len(case.expected_sources)
        ranks = [
            i for i, d in enumerate(ranked, 1) if any(matches(e, d) for e in case.expected_sources)
        ]
        rr = 1 / ranks[0] if ranks else 0.0
    shown = [f"{c.source}:{c.path}" for c in answer.citations]
    leaks = tuple(d for d in [*ranked, *shown] if d.split(":", 1)[0] in forbidden)
    facts = None
    if check_facts and case.must_contain and case.answerable:
        facts = sum(f.lower() in answer.text.lower() for f in case.must_contain) / len(
            case.must_contain
        )
    return Outcome(
        case=case,
        ranked=tuple(ranked),
        answered=answer.answered,
        recall=recall,
        reciprocal_rank=rr,
        refused_correctly=(not answer.answered) if not case.answerable else None,
        leaks=leaks,
        facts_found=facts,
        latency_ms=latency_ms,
        answer_text=answer.text,
    )
