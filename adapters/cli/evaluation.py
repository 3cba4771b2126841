"""`deskmate eval`: run a question file through the real engine and score it."""

from __future__ import annotations

import time
from collections.abc import Sequence

from adapters.runtime import Runtime
from bot.errors import ConfigError
from bot.models import EVERYONE, Asker, Chunk, Question
from evaluation.answers import Case, Summary, score


def describe(chunk: Chunk) -> str:
    return f"{chunk.source}:{chunk.path} {chunk.title} {chunk.url or ''}"


def ranked_documents(chunks: Sequence[Chunk]) -> list[str]:
    return list(dict.fromkeys(describe(c) for c in chunks))


async def evaluate(runtime: Runtime, cases: Sequence[Case], k: int) -> Summary:
    try:
        sources = runtime.configured_sources()
    except ConfigError:  # built with `deskmate index PATH` before folders were remembered
        sources = []  # every source indexed by path is visible to everyone
    summary = Summary()
    for case in cases:
        asker = Asker(case.asker or "eval", email=case.asker if "@" in (case.asker or "") else None)
        groups = runtime.directory.groups_of(asker) if case.asker else frozenset({EVERYONE})
        forbidden = [s.name for s in sources if not set(s.audience) & groups]
        retrieved = await runtime.engine.retriever.retrieve(case.question, groups, limit=k * 3)
        started = time.perf_counter()
        answer = await runtime.engine.answer(Question(case.question, asker, groups, groups))
        latency_ms = (time.perf_counter() - started) * 1000
        summary.outcomes.append(
            score(
                case,
                ranked_documents(retrieved.chunks),
                answer,
                forbidden,
                latency_ms,
                k,
                check_facts=runtime.settings.models.llm_configured,
            )
        )
    return summary
