"""Insights over the sample knowledge base: questions asked through the real engine, rated
through the real store, then gaps, feedback, documents and usage read back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.runtime import Runtime, open_runtime
from bot.insights import Period, build_report
from bot.models import EVERYONE, Answer, Asker, Question
from tests.conftest import make_settings

PARKING = (  # the sample knowledge base says nothing about parking
    "Where can I park my car at the office?",
    "Is there parking for employees' cars?",
    "Do we have a car park for staff?",
)
UNRELATED = "Can I bring my dog to the office?"
ANSWERABLE = "How many vacation days do I get per year?"
DAY = timedelta(days=1)


async def ask(runtime: Runtime, text: str, platform: str = "slack", user: str = "U1") -> Answer:
    question = Question(text, Asker(user), frozenset({EVERYONE}), platform=platform)
    return await runtime.engine.answer(question)


async def test_paraphrases_of_one_unanswered_question_form_one_gap_and_an_unrelated_one_another(
    sample: Runtime,
) -> None:
    for text in (*PARKING, UNRELATED):
        assert not (await ask(sample, text)).answered, text
    assert (await ask(sample, ANSWERABLE)).answered

    report = await build_report(sample.store, sample.embedder, sample.contacts, Period.last(1))

    assert [g.size for g in report.gaps] == [3, 1]
    parking, dog = report.gaps
    assert parking.name in PARKING
    assert set(parking.examples) == set(PARKING)
    assert (parking.unanswered, parking.disliked, parking.previous) == (3, 0, 0)
    assert dog.name == UNRELATED
    assert parking.documents, "the closest documents found are named"
    assert parking.owner == sample.contacts[parking.documents[0].source]


async def test_a_gap_counts_the_same_meaning_in_the_period_before_as_its_trend(
    sample: Runtime,
) -> None:
    await ask(sample, PARKING[0])
    middle = datetime.now(UTC)
    for text in PARKING[1:]:
        await ask(sample, text)

    report = await build_report(
        sample.store, sample.embedder, sample.contacts, Period(middle, middle + DAY)
    )

    (parking,) = report.gaps
    assert (parking.size, parking.previous, parking.trend) == (2, 1, 1)


async def test_a_disliked_answer_is_a_gap_and_its_rating_and_comment_are_counted_per_source(
    sample: Runtime,
) -> None:
    disliked = await ask(sample, ANSWERABLE)
    liked = await ask(sample, "What is the ESPP discount?")
    assert disliked.answer_id
    assert liked.answer_id
    await sample.store.feedback.record(disliked.answer_id, "slack", "U2", -1, "out of date")
    await sample.store.feedback.record(liked.answer_id, "teams", "U3", 1)

    report = await build_report(sample.store, sample.embedder, sample.contacts, Period.last(1))

    assert [(g.name, g.disliked) for g in report.gaps] == [(ANSWERABLE, 1)]
    feedback = report.feedback
    assert (feedback.up, feedback.down, feedback.ratio) == (1, 1, 0.5)
    assert [c.comment for c in feedback.comments] == ["out of date"]
    cited = {s.key: (s.up, s.down) for s in feedback.per_source}
    assert cited[disliked.citations[0].source][1] == 1
    assert sum(d.down for d in feedback.per_document) >= 1


async def test_usage_counts_questions_per_day_and_platform_with_answer_times(
    sample: Runtime,
) -> None:
    await ask(sample, ANSWERABLE, platform="slack")
    await ask(sample, "What is the ESPP discount?", platform="teams")
    await ask(sample, UNRELATED, platform="cli")

    usage = (
        await build_report(sample.store, sample.embedder, sample.contacts, Period.last(1))
    ).usage

    assert (usage.questions, usage.answered) == (3, 2)
    assert usage.answered_share == pytest.approx(2 / 3)
    assert usage.per_platform() == {"cli": 1, "slack": 1, "teams": 1}
    assert usage.p50_ms is not None
    assert usage.p95_ms is not None
    assert 0 < usage.p50_ms <= usage.p95_ms


async def test_documents_are_reported_as_cited_never_cited_and_failing(sample: Runtime) -> None:
    answer = await ask(sample, "What is the ESPP discount?")

    documents = (
        await build_report(sample.store, sample.embedder, sample.contacts, Period.last(1))
    ).documents

    cited = {(d.source, d.path) for d in documents.most_cited}
    assert (answer.citations[0].source, answer.citations[0].path) in cited
    assert documents.never_cited, "most of the sample knowledge base was not asked about"
    assert not cited & {(d.source, d.path) for d in documents.never_cited}
    assert documents.failing == ()  # the sample knowledge base indexes cleanly


async def test_the_question_log_expires_after_its_retention(sample: Runtime) -> None:
    old = await ask(sample, ANSWERABLE)
    await sample.store.feedback.record(old.answer_id or "", "slack", "U2", -1, "wrong")
    recent = await ask(sample, UNRELATED)
    async with sample.store.pool.connection() as conn:
        await conn.execute(
            "UPDATE answers SET created_at = now() - interval '100 days' WHERE id = %s",
            (old.answer_id,),
        )
        await conn.execute("UPDATE feedback SET created_at = now() - interval '100 days'")

    await sample.housekeeping()  # DESKMATE_QUESTION_LOG_DAYS defaults to 90

    logged = [a.answer_id for a in await sample.store.insights.question_log()]
    assert logged == [recent.answer_id]
    assert not [f for f in await sample.store.feedback.liked() if f.question]
    async with sample.store.pool.connection() as conn:
        cur = await conn.execute("SELECT question, comment FROM feedback")
        assert await cur.fetchall() == [("", "wrong")]  # the rating stays counted, the text goes


@pytest.fixture
async def anonymous(sample_db: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    settings = make_settings(sample_db, tmp_path, store_askers=False)
    async with open_runtime(settings) as runtime:
        yield runtime


async def test_questions_can_be_stored_without_who_asked(anonymous: Runtime) -> None:
    await ask(anonymous, UNRELATED, user="U_SECRET")

    (logged,) = await anonymous.store.insights.question_log()

    assert logged.asker is None
    assert logged.question == UNRELATED
