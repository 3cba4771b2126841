"""Slack acknowledgement latency under a burst of @mentions.

Runs the real `deskmate serve` in a subprocess (embedded PostgreSQL in a temp dir, the sample
knowledge base, no LLM: extractive answers), pointed at the tests' fake Slack Web API, which
runs here together with the load generator. Fires N concurrent signed `app_mention` requests
(optionally each delivered several times, as in a retry storm) and reports how fast Slack got
its 200 (Slack allows 3 s), how many answers were posted (must equal N) and how long they took.

    .venv/bin/python benchmarks/slack_ack.py --n 100 [--retries 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from aiohttp import ClientError, ClientSession, TCPConnector
from common import ROOT, machine, percentile, scratch_database

from tests.fakes.slack_api import (
    BOT_TOKEN,
    BOT_USER,
    SIGNING_SECRET,
    Call,
    FakeSlackApi,
    SlackSender,
    app_mention,
    event_callback,
)

CHANNEL = "C0BENCH"
QUESTIONS = (
    "What is the ESPP discount?",
    "How many vacation days do I get?",
    "How do I connect to the VPN?",
    "What is the travel policy for flights?",
    "How long is parental leave?",
)
DESKMATE = str(Path(sys.executable).parent / "deskmate")


def server_env(url: str, tmp: Path, api: FakeSlackApi, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DESKMATE_", "SLACK_", "MICROSOFT_", "OPENAI_"))
    }
    env.update(
        DATABASE_URL=url,
        DESKMATE_DATA_DIR=str(tmp / "data"),
        DESKMATE_SOURCES=str(ROOT / "examples" / "sources.yaml"),
        DESKMATE_GROUPS=str(ROOT / "examples" / "groups.yaml"),
        DESKMATE_TONE_FILE=str(tmp / "none.yaml"),
        DESKMATE_PORT=str(port),
        DESKMATE_RATE_LIMIT="100000",
        DESKMATE_DB_POOL_SIZE="10",
        DESKMATE_LOG_LEVEL="WARNING",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=api.api_url,
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ts(i: int) -> str:
    return f"1700000000.{i:06d}"


def answers(api: FakeSlackApi, channel: str) -> list[Call]:
    """Final answers: the end of a stream (or an update of "looking it up") that carries the
    feedback buttons."""
    finals = api.calls_to("chat.stopStream", channel=channel)
    finals += api.calls_to("chat.update", channel=channel)
    return [c for c in finals if c.feedback()]


async def until(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def quiet(api: FakeSlackApi, for_seconds: float = 2.0) -> None:
    """Until the fake has received nothing new for a while (late duplicates would show)."""
    seen, since = len(api.calls), time.monotonic()
    while time.monotonic() - since < for_seconds:
        await asyncio.sleep(0.1)
        if len(api.calls) != seen:
            seen, since = len(api.calls), time.monotonic()


async def burst(sender: SlackSender, n: int, retries: int) -> tuple[list[float], list[int]]:
    """n concurrent mentions, each delivered 1 + `retries` times; latency of every request."""

    async def deliver(i: int, attempt: int) -> tuple[float, int]:
        event = app_mention(QUESTIONS[i % len(QUESTIONS)], f"U0BENCH{i:04d}", CHANNEL, ts(i))
        headers = {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"}
        started = time.perf_counter()
        status, _ = await sender.event(
            event_callback(event, event_id=f"Ev0BENCH{i:06d}"), headers if attempt else None
        )
        return time.perf_counter() - started, status

    results = await asyncio.gather(
        *(deliver(i, attempt) for i in range(n) for attempt in range(1 + retries))
    )
    return [r[0] for r in results], [r[1] for r in results]


async def run(base: str, api: FakeSlackApi, n: int, retries: int) -> None:
    async with ClientSession(base, connector=TCPConnector(limit=0)) as http:
        await until_ready(http)
        sender = SlackSender(http)
        await sender.event(app_mention(QUESTIONS[0], "U0WARM", "C0WARM", ts(999_999)))
        await until(lambda: answers(api, "C0WARM"), 60, "the warm-up answer")
        sent_at = time.monotonic()
        latencies, statuses = await burst(sender, n, retries)
        await until(lambda: len(answers(api, CHANNEL)) >= n, 300, f"{n} answers")
        await quiet(api)
    report(api, n, retries, latencies, statuses, sent_at)


async def until_ready(http: ClientSession, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            async with http.get("/readyz") as response:
                if response.status == 200:
                    return
        except ClientError:
            pass
        await asyncio.sleep(0.25)
    raise SystemExit("deskmate serve did not become ready")


def report(
    api: FakeSlackApi,
    n: int,
    retries: int,
    latencies: list[float],
    statuses: list[int],
    sent_at: float,
) -> None:
    def ms(values: list[float], pct: float) -> str:
        return f"{percentile(values, pct) * 1000:.1f} ms"

    placeholders = api.calls_to("chat.postMessage", channel=CHANNEL)
    finals = answers(api, CHANNEL)
    answered = [c.at - sent_at for c in finals]
    print(f"\nSlack ack benchmark — {machine()}")
    print(f"{n} concurrent signed app_mention events, each delivered {1 + retries}x")
    print(
        f"ack latency: p50 {ms(latencies, 50)}, p99 {ms(latencies, 99)}, "
        f"max {max(latencies) * 1000:.1f} ms "
        f"({len(latencies)} requests, all 200: {all(s == 200 for s in statuses)})"
    )
    print(f"answers posted: {len(finals)} / {n} (placeholders posted: {len(placeholders)})")
    print(
        f"time to answer: p50 {ms(answered, 50)}, p99 {ms(answered, 99)}, "
        f"last {max(answered):.2f} s"
    )
    if len(finals) != n or len(placeholders) != n:
        raise SystemExit(f"expected exactly {n} answers")


def main(n: int, retries: int) -> None:
    with scratch_database() as (url, tmp), FakeSlackApi() as api:
        api.members = {CHANNEL: [BOT_USER, *(f"U0BENCH{i:04d}" for i in range(n))]}
        port = free_port()
        env = server_env(url, tmp, api, port)
        print("indexing the sample knowledge base…", flush=True)
        subprocess.run([DESKMATE, "index"], env=env, check=True, capture_output=True)
        print("starting deskmate serve…", flush=True)
        server = subprocess.Popen([DESKMATE, "serve"], env=env)
        try:
            asyncio.run(run(f"http://127.0.0.1:{port}", api, n, retries))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(60)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Slack ack latency under a burst of mentions")
    parser.add_argument("--n", type=int, default=100, help="concurrent mentions")
    parser.add_argument("--retries", type=int, default=0, help="extra deliveries per event")
    args = parser.parse_args()
    main(args.n, args.retries)
