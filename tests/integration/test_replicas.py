"""Two `deskmate serve` replicas on one database, as behind a load balancer: Slack's retry
storms and Teams' duplicate activities land on both at once, and each question still gets
exactly one answer."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.chat.services import Services
from adapters.runtime import open_runtime
from adapters.server import SERVICES, build_app
from tests.conftest import make_settings
from tests.fakes.bot_connector import FakeBotConnector, serve
from tests.fakes.slack_api import (
    BOT_TOKEN,
    BOT_USER,
    SIGNING_SECRET,
    FakeSlackApi,
    SlackSender,
    app_mention,
    event_callback,
)

CHANNEL = "C0REPLICAS"
QUESTIONS = (
    "What is the ESPP discount?",
    "How many vacation days do I get?",
    "How do I connect to the VPN?",
    "How long is parental leave?",
)
DELIVERIES = 6  # each Slack event and each Teams activity arrives this often
_IDS = itertools.count(1_800_000_000_001)


@pytest.fixture
async def replicas(
    sample_db: str, tmp_path: Path
) -> AsyncIterator[tuple[list[TestClient[Any, Any]], list[Services], FakeSlackApi]]:
    with FakeSlackApi() as api:
        api.members = {CHANNEL: [BOT_USER, "U0ASKER"]}
        settings = make_settings(
            sample_db,
            tmp_path,
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=api.api_url,
            rate_limit_per_minute=1000,
        )
        async with AsyncExitStack() as stack:
            clients, services = [], []
            for _ in range(2):
                runtime = await stack.enter_async_context(open_runtime(settings))
                app = build_app(runtime)
                clients.append(await stack.enter_async_context(TestClient(TestServer(app))))
                services.append(app[SERVICES])
            yield clients, services, api


async def _settle(services: list[Services]) -> None:
    await asyncio.gather(*(s.idle() for s in services))


async def test_a_slack_retry_storm_across_two_replicas_gets_one_answer_per_question(
    replicas: tuple[list[TestClient[Any, Any]], list[Services], FakeSlackApi],
) -> None:
    clients, services, api = replicas
    senders = [SlackSender(c) for c in clients]
    deliveries = []
    for i, question in enumerate(QUESTIONS):
        event = app_mention(question, "U0ASKER", CHANNEL, ts=f"1700000100.{i:06d}")
        envelope = event_callback(event, event_id=f"Ev0REPLICA{i:04d}")
        for attempt in range(DELIVERIES):
            retry = {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"}
            sender = senders[attempt % 2]
            deliveries.append(sender.event(envelope, retry if attempt else None))

    statuses = await asyncio.gather(*deliveries)
    await _settle(services)

    assert {status for status, _ in statuses} == {200}
    streams = api.calls_to("chat.startStream", channel=CHANNEL)
    assert sorted(p.args["thread_ts"] for p in streams) == [
        f"1700000100.{i:06d}" for i in range(len(QUESTIONS))
    ]
    stops = api.calls_to("chat.stopStream", channel=CHANNEL)
    assert len([c for c in stops if c.feedback()]) == len(QUESTIONS)


def _teams_question(service_url: str, text: str) -> dict[str, Any]:
    sender = {"id": "29:pat", "name": "Pat", "aadObjectId": "5c0ffee0-0000-4000-8000-00000000000a"}
    return {
        "type": "message",
        "id": str(next(_IDS)),
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": sender,
        "recipient": {"id": "28:deskmate-bot-id", "name": "Deskmate"},
        "conversation": {"id": "a:personal-pat", "conversationType": "personal"},
        "text": text,
    }


async def test_duplicate_teams_activities_across_two_replicas_get_one_answer_each(
    replicas: tuple[list[TestClient[Any, Any]], list[Services], FakeSlackApi],
) -> None:
    clients, services, _ = replicas
    connector = FakeBotConnector()
    with serve(connector) as fake:
        activities = [_teams_question(fake.url, q) for q in QUESTIONS]
        posts = [
            clients[n % 2].post("/api/messages", json=a)
            for a in activities
            for n in range(DELIVERIES)
        ]

        responses = await asyncio.gather(*posts)
        await _settle(services)
        await connector.wait_for(lambda c: len(c.answers()) >= 4)
        await asyncio.sleep(0.5)  # a late duplicate would show up now

        assert {r.status for r in responses} == {201}
        cards = connector.answers()
        replied_to = sorted(m.body.get("replyToId") for m in cards)
        assert replied_to == sorted(a["id"] for a in activities)
