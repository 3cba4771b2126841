"""Secrets stay secret: a whole working session (answers with a model and without, a model
failure, a Slack failure, a refused Teams request, metrics, `status`, an unreachable database)
with every credential set to a recognisable value, and none of them anywhere in what it wrote:
logs, replies, HTTP responses, metrics or command output."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from typer.testing import CliRunner

from adapters.cli import app as cli
from adapters.logs import configure_logging
from adapters.runtime import open_runtime
from adapters.server import SERVICES, build_app
from tests.conftest import EXAMPLES, llm_settings
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.fakes.slack_api import BOT_TOKEN, BOT_USER, FakeSlackApi, SlackSender, app_mention, error

SECRETS = {
    "Slack bot token": BOT_TOKEN,  # the one the fake Slack accepts
    "Slack signing secret": "SECRET-signing-secret-7d1e0c",
    "OpenAI key": "sk-SECRET-openai-key-0b8f",
    "database password": "SECRET-pg-password-9f3a",
    "Teams app password": "SECRET-teams-password-51c2",
}
CHANNEL = "C0SECRETS"


@pytest.fixture
def api() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as fake:
        fake.members = {CHANNEL: ["U0ALICE", BOT_USER]}
        yield fake


def leaks(text: str) -> list[str]:
    return [name for name, value in SECRETS.items() if value in text]


async def test_no_secret_appears_in_logs_replies_metrics_or_status(
    sample_db: str,
    tmp_path: Path,
    api: FakeSlackApi,
    fake_openai: tuple[FakeOpenAI, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake, base_url = fake_openai
    database_url = f"{sample_db} password={SECRETS['database password']}"
    settings = llm_settings(
        database_url,
        tmp_path,
        base_url,
        openai_api_key=SECRETS["OpenAI key"],
        slack_bot_token=SECRETS["Slack bot token"],
        slack_signing_secret=SECRETS["Slack signing secret"],
        slack_api_url=api.api_url,
        microsoft_app_id="00000000-0000-4000-8000-0000000000b0",
        microsoft_app_password=SECRETS["Teams app password"],
        microsoft_app_type="MultiTenant",
        log_level="DEBUG",
        log_format="json",
    )
    configure_logging(settings.serve)
    fake.script("The ESPP discount is 15% [1].", Reply(status=500), Reply(status=500))
    api.script("chat.stopStream", error("internal_error"), error("internal_error"))
    api.script("chat.update", error("internal_error"))
    seen: list[str] = []
    async with open_runtime(settings) as runtime:
        app = build_app(runtime)
        async with TestClient(TestServer(app)) as http:
            slack = SlackSender(http, secret=SECRETS["Slack signing secret"])
            for n, question in enumerate(
                ["What is the ESPP discount?", "How many vacation days?", "What is the VPN?"]
            ):
                await slack.event(app_mention(question, "U0ALICE", CHANNEL, f"170000000{n}.0001"))
                await app[SERVICES].idle()
            teams = await http.post("/api/messages", json={"type": "message", "text": "hi"})
            seen += [await teams.text(), await (await http.get("/metrics")).text()]
            seen.append(await (await http.get("/readyz")).text())
    logging.getLogger().handlers.clear()

    env = {"DATABASE_URL": database_url, "DESKMATE_SOURCES": str(EXAMPLES / "sources.yaml")}
    status = await asyncio.to_thread(CliRunner().invoke, cli, ["status"], env=env)
    password = SECRETS["database password"]
    down, down_conninfo = [
        await asyncio.to_thread(
            CliRunner().invoke, cli, ["ask", "vacation days?"], env={"DATABASE_URL": unreachable}
        )
        for unreachable in (
            f"postgresql://deskmate:{password}@127.0.0.1:1/kb",
            f"host=127.0.0.1 port=1 dbname=kb user=deskmate password={password}",
        )
    ]
    captured = capsys.readouterr()

    assert status.exit_code == 0, status.output
    assert (down.exit_code, down_conninfo.exit_code) == (1, 1)
    assert "***" in down.output  # the address is shown, its password is not
    assert "***" in down_conninfo.output
    assert fake.requests[0]["auth"] == f"Bearer {SECRETS['OpenAI key']}"  # the secrets were used
    assert api.calls[0].token == SECRETS["Slack bot token"]
    assert '"level": "ERROR"' in captured.err  # the failures were logged, with tracebacks
    written = [
        captured.out,
        captured.err,
        status.output,
        down.output,
        down_conninfo.output,
        *seen,
        json.dumps([c.args for c in api.calls]),
    ]
    assert {name for text in written for name in leaks(text)} == set()
