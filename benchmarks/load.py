"""Bounded mixed load against a real `deskmate serve`: Slack events and Teams activities.

Runs `deskmate serve` in a subprocess (embedded PostgreSQL in a temp dir, the sample knowledge
base), pointed at the tests' fake Slack Web API, a fake Bot Connector (the activities'
`serviceUrl`) and the fake OpenAI-compatible server, all on loopback in this process. Sends N
questions, alternating signed Slack `app_mention` events and Teams personal-chat activities,
at most C at a time, each from its own user. Reports acknowledgement latency per platform
(p50 / p99, and the same measured one question at a time first, as the baseline), answers
delivered against questions asked, errors, and the server's RSS before and after.

    .venv/bin/python benchmarks/load.py --n 200 --concurrency 20 [--llm-delay 0.2]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import psutil
from aiohttp import ClientSession, TCPConnector
from common import machine, percentile, scratch_database
from slack_ack import DESKMATE, QUESTIONS, answers, free_port, server_env, until, until_ready

from bot import texts
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.bot_connector import serve as serve_connector
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.fakes.openai_server import serve as serve_openai
from tests.fakes.slack_api import BOT_USER, FakeSlackApi, SlackSender, app_mention, event_callback

SLACK_CHANNEL = "C0LOAD"
FAILURES = (texts.ERROR.split("(")[0].strip(), texts.STORE_UNAVAILABLE, texts.RATE_LIMITED)
_IDS = itertools.count(1_900_000_000_001)


@dataclass
class Results:
    acks: dict[str, list[float]] = field(default_factory=lambda: {"slack": [], "teams": []})
    bad_acks: int = 0


class Load:
    def __init__(self, http: ClientSession, api: FakeSlackApi, connector_url: str) -> None:
        self._slack = SlackSender(http)
        self._http = http
        self._api = api
        self._connector_url = connector_url

    async def ask(self, i: int, results: Results) -> None:
        question = QUESTIONS[i % len(QUESTIONS)]
        started = time.perf_counter()
        if i % 2 == 0:
            event = app_mention(question, f"U0LOAD{i:05d}", SLACK_CHANNEL, f"1700000000.{i:06d}")
            status, _ = await self._slack.event(event_callback(event, event_id=f"Ev0LOAD{i:06d}"))
            platform, ok = "slack", status == 200
        else:
            async with self._http.post("/api/messages", json=self._activity(i, question)) as r:
                platform, ok = "teams", r.status in (200, 201)
        results.acks[platform].append(time.perf_counter() - started)
        results.bad_acks += not ok

    def _activity(self, i: int, text: str) -> dict[str, Any]:
        return {
            "type": "message",
            "id": str(next(_IDS)),
            "channelId": "msteams",
            "serviceUrl": self._connector_url,
            "from": _member(i),
            "recipient": {"id": "28:deskmate", "name": "Deskmate"},
            "conversation": {"id": f"a:personal-{i}", "conversationType": "personal"},
            "text": text,
        }


def _member(i: int) -> dict[str, str]:
    return {"id": f"29:load-{i}", "name": f"User {i}", "aadObjectId": f"load-{i}"}


def delivered(api: FakeSlackApi, connector: FakeBotConnector) -> tuple[int, int, int]:
    """(Slack answers, Teams answers, replies that are error texts)."""
    slack = answers(api, SLACK_CHANNEL)
    teams = connector.answers()
    replies = [c.text for c in api.calls_to("chat.update", channel=SLACK_CHANNEL)]
    replies += [
        str(c.args.get("markdown_text") or "")
        for c in api.calls_to("chat.stopStream", channel=SLACK_CHANNEL)
    ]
    replies += [str(m.body.get("text") or "") for m in connector.messages()]
    failed = sum(any(f in reply for f in FAILURES) for reply in replies)
    return len(slack), len(teams), failed


async def run(
    base: str, api: FakeSlackApi, connector: FakeBotConnector, connector_url: str, n: int, c: int
) -> tuple[Results, Results, float]:
    async with ClientSession(base, connector=TCPConnector(limit=0)) as http:
        await until_ready(http)
        load = Load(http, api, connector_url)
        baseline = Results()
        for i in range(20):  # one at a time: acknowledgement latency without load
            await load.ask(10_000 + i, baseline)
        await until(lambda: sum(delivered(api, connector)[:2]) >= 20, 120, "baseline answers")
        api.calls.clear()
        connector.calls.clear()
        results, slots = Results(), asyncio.Semaphore(c)

        async def one(i: int) -> None:
            async with slots:
                await load.ask(i, results)

        started = time.monotonic()
        await asyncio.gather(*(one(i) for i in range(n)))
        await until(lambda: sum(delivered(api, connector)[:2]) >= n, 600, f"{n} answers")
        return baseline, results, time.monotonic() - started


def report(
    n: int, c: int, baseline: Results, results: Results, seconds: float, counts: tuple[int, ...]
) -> None:
    def ms(values: list[float], pct: float) -> float:
        return percentile(values, pct) * 1000

    print(f"\nMixed Slack + Teams load — {machine()}")
    print(f"{n} questions, {c} at a time, half Slack events, half Teams activities")
    for platform in ("slack", "teams"):
        idle, busy = baseline.acks[platform], results.acks[platform]
        print(
            f"{platform} ack: p50 {ms(busy, 50):.1f} ms, p99 {ms(busy, 99):.1f} ms "
            f"(one at a time: p50 {ms(idle, 50):.1f} ms; ratio {ms(busy, 50) / ms(idle, 50):.1f}x)"
        )
    slack, teams, failed = counts
    print(f"answers delivered: {slack + teams} / {n} (Slack {slack}, Teams {teams})")
    print(f"errors: {results.bad_acks} bad acknowledgements, {failed} error replies")
    print(f"all answered in {seconds:.1f} s ({n / seconds:.1f} questions/s)")


def main(n: int, c: int, llm_delay: float) -> None:
    fake_llm = FakeOpenAI(default=Reply("The answer is in the first passage [1].", delay=llm_delay))
    connector = FakeBotConnector(members={f"a:personal-{i}": [_member(i)] for i in range(n)})
    connector.members |= {f"a:personal-{10_000 + i}": [_member(10_000 + i)] for i in range(20)}
    with (
        scratch_database() as (url, tmp),
        FakeSlackApi() as api,
        serve_openai(fake_llm) as llm,
        serve_connector(connector) as bot_connector,
    ):
        api.members = {SLACK_CHANNEL: [BOT_USER, *(f"U0LOAD{i:05d}" for i in range(n))]}
        port = free_port()
        env = server_env(url, tmp, api, port)
        env.update(OPENAI_API_KEY="sk-bench", OPENAI_BASE_URL=f"{llm.url}/v1")
        print("indexing the sample knowledge base…", flush=True)
        subprocess.run([DESKMATE, "index"], env=env, check=True, capture_output=True)
        print("starting deskmate serve…", flush=True)
        server = subprocess.Popen([DESKMATE, "serve"], env=env)
        try:
            process = psutil.Process(server.pid)
            asyncio.run(until_ready_only(f"http://127.0.0.1:{port}"))
            rss_before = process.memory_info().rss
            baseline, results, seconds = asyncio.run(
                run(f"http://127.0.0.1:{port}", api, connector, bot_connector.url, n, c)
            )
            rss_after = process.memory_info().rss
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(60)
    counts = delivered(api, connector)
    report(n, c, baseline, results, seconds, counts)
    print(f"server RSS: {rss_before / 2**20:.0f} MiB before, {rss_after / 2**20:.0f} MiB after")
    if counts[0] + counts[1] != n or counts[2] or results.bad_acks:
        sys.exit("expected every question answered once and no errors")


async def until_ready_only(base: str) -> None:
    async with ClientSession(base) as http:
        await until_ready(http)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Mixed Slack + Teams load on deskmate serve")
    parser.add_argument("--n", type=int, default=200, help="questions")
    parser.add_argument("--concurrency", type=int, default=20, help="questions in flight")
    parser.add_argument("--llm-delay", type=float, default=0.2, help="fake model latency (s)")
    args = parser.parse_args()
    main(args.n, args.concurrency, args.llm_delay)
