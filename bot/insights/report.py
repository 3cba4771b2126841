"""The insights report: knowledge gaps, feedback, documents and usage over one period, built
once here and shown by every surface (`deskmate report`, the admin console, the digest)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.embeddings import Embedder
from bot.insights.clustering import SIMILAR, cluster
from bot.store import Store
from bot.store.insights import Comment, DailyUsage, DocumentUse, GapQuestion, RatingCount

EXAMPLES = 5
CLOSEST = 3
STALE_DAYS = 365
TOP_DOCUMENTS = 10
FAILING_RUNS = 3


@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime

    @classmethod
    def last(cls, days: float, now: datetime | None = None) -> Period:
        until = now or datetime.now(UTC)
        return cls(until - timedelta(days=days), until)

    def previous(self) -> Period:
        """The period of the same length just before this one (for trends)."""
        return Period(self.since - (self.until - self.since), self.since)


@dataclass(frozen=True)
class DocumentRef:
    source: str
    path: str
    title: str
    url: str | None


@dataclass(frozen=True)
class Gap:
    """Questions of one meaning the knowledge base did not serve."""

    name: str  # the most central question
    size: int  # questions in this period
    previous: int  # questions of this meaning in the period before
    unanswered: int
    disliked: int
    examples: tuple[str, ...]
    documents: tuple[DocumentRef, ...]  # the closest documents found for them
    owner: str | None  # the contact of the closest documents' source

    @property
    def trend(self) -> int:
        return self.size - self.previous


@dataclass(frozen=True)
class FeedbackInsights:
    up: int
    down: int
    per_day: tuple[RatingCount, ...]
    per_source: tuple[RatingCount, ...]
    per_document: tuple[RatingCount, ...]
    comments: tuple[Comment, ...]

    @property
    def ratio(self) -> float | None:
        """Share of 👍 among ratings; None without any."""
        return self.up / (self.up + self.down) if self.up + self.down else None


@dataclass(frozen=True)
class Failure:
    run_id: int
    started_at: datetime
    path: str
    reason: str


@dataclass(frozen=True)
class DocumentInsights:
    most_cited: tuple[DocumentUse, ...]
    never_cited: tuple[DocumentUse, ...]
    stale: tuple[DocumentUse, ...]  # cited, but not updated for STALE_DAYS
    failing: tuple[Failure, ...]  # files that failed in the last runs


@dataclass(frozen=True)
class Usage:
    per_day: tuple[DailyUsage, ...]
    p50_ms: float | None
    p95_ms: float | None

    @property
    def questions(self) -> int:
        return sum(d.questions for d in self.per_day)

    @property
    def answered(self) -> int:
        return sum(d.answered for d in self.per_day)

    @property
    def answered_share(self) -> float | None:
        return self.answered / self.questions if self.questions else None

    def per_platform(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for day in self.per_day:
            counts[day.platform] += day.questions
        return dict(counts.most_common())


@dataclass(frozen=True)
class Report:
    period: Period
    gaps: tuple[Gap, ...]
    feedback: FeedbackInsights
    documents: DocumentInsights
    usage: Usage


async def build_report(
    store: Store,
    embedder: Embedder,
    contacts: Mapping[str, str],
    period: Period,
    *,
    threshold: float = SIMILAR,
    with_gaps: bool = True,
) -> Report:
    """The whole report; `with_gaps=False` leaves out the knowledge gaps (the only part that
    embeds: about 5 s per 2,000 questions on 2 cores)."""
    gaps = await knowledge_gaps(store, embedder, contacts, period, threshold) if with_gaps else ()
    return Report(
        period=period,
        gaps=gaps,
        feedback=await feedback_insights(store, period),
        documents=await document_insights(store, period),
        usage=await usage(store, period),
    )


async def knowledge_gaps(
    store: Store,
    embedder: Embedder,
    contacts: Mapping[str, str],
    period: Period,
    threshold: float = SIMILAR,
) -> tuple[Gap, ...]:
    """The period's unserved questions by meaning, largest first; the previous period's are
    clustered with them, so that each gap's trend counts the same meaning before."""
    before = period.previous()
    earlier = await store.insights.gap_questions(before.since, before.until)
    current = await store.insights.gap_questions(period.since, period.until)
    questions = earlier + current
    if not current:
        return ()
    vectors = await asyncio.to_thread(embedder.embed, [q.question for q in questions])
    gaps = []
    for found in cluster(vectors, threshold):
        now = [questions[i] for i in found.members if i >= len(earlier)]
        if now:
            previous = len(found.members) - len(now)
            gaps.append(_gap(questions[found.central].question, now, previous, contacts))
    return tuple(sorted(gaps, key=lambda g: (-g.size, -g.trend, g.name)))


def _gap(
    name: str, questions: Sequence[GapQuestion], previous: int, contacts: Mapping[str, str]
) -> Gap:
    documents = _closest(questions)
    owners = Counter(contacts[d.source] for d in documents if d.source in contacts)
    return Gap(
        name=name,
        size=len(questions),
        previous=previous,
        unanswered=sum(q.kind == "unanswered" for q in questions),
        disliked=sum(q.kind == "disliked" for q in questions),
        examples=tuple(dict.fromkeys(q.question for q in reversed(questions)))[:EXAMPLES],
        documents=documents,
        owner=owners.most_common(1)[0][0] if owners else None,
    )


def _closest(questions: Sequence[GapQuestion]) -> tuple[DocumentRef, ...]:
    """The documents shown most often with these questions, best-ranked first."""
    seen: Counter[tuple[str, str]] = Counter()
    refs: dict[tuple[str, str], DocumentRef] = {}
    for question in questions:
        for rank, source in enumerate(question.sources):
            key = (str(source.get("source", "")), str(source.get("path", "")))
            seen[key] += 10 - min(rank, 9)
            refs.setdefault(
                key, DocumentRef(key[0], key[1], str(source.get("title", "")), source.get("url"))
            )
    return tuple(refs[key] for key, _ in seen.most_common(CLOSEST))


async def feedback_insights(store: Store, period: Period) -> FeedbackInsights:
    since, until = period.since, period.until
    per_day = await store.insights.ratings_per_day(since, until)
    return FeedbackInsights(
        up=sum(d.up for d in per_day),
        down=sum(d.down for d in per_day),
        per_day=tuple(per_day),
        per_source=tuple(await store.insights.ratings_per_source(since, until)),
        per_document=tuple(await store.insights.ratings_per_document(since, until)),
        comments=tuple(await store.insights.comments(since, until)),
    )


async def document_insights(
    store: Store, period: Period, stale_days: int = STALE_DAYS
) -> DocumentInsights:
    use = await store.insights.document_use(period.since, period.until)
    old = period.until - timedelta(days=stale_days)
    runs = await store.runs.recent(FAILING_RUNS)
    failing = [
        Failure(run.id, run.started_at, e.get("path", ""), e.get("reason", ""))
        for run in runs
        for e in run.errors
        if e.get("kind", "failed") == "failed"
    ]
    return DocumentInsights(
        most_cited=tuple(d for d in use if d.citations)[:TOP_DOCUMENTS],
        never_cited=tuple(d for d in use if not d.citations),
        stale=tuple(d for d in use if d.citations and d.updated_at and d.updated_at < old),
        failing=tuple(failing),
    )


async def usage(store: Store, period: Period) -> Usage:
    per_day = await store.insights.usage_per_day(period.since, period.until)
    p50, p95 = await store.insights.answer_ms_percentiles(period.since, period.until)
    return Usage(tuple(per_day), p50, p95)
