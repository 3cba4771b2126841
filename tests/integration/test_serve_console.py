"""The admin console over HTTP: no session, no data; a one-time link opens a session; every
change needs the form's CSRF token; scripts use DESKMATE_ADMIN_TOKEN."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from markupsafe import escape

from adapters.chat.services import Services
from adapters.runtime import Runtime, open_runtime
from adapters.server import SERVICES, build_app
from bot import texts
from bot.models import EVERYONE, Asker, Question
from tests.conftest import make_settings
from tests.integration.test_insights import PARKING

ADMIN = "U0ADMIN"
SCRIPT_TOKEN = "script-token-for-tests"
PAGES = ("/admin", "/admin/feedback", "/admin/documents", "/admin/sources", "/admin/log")


def shown(text: str) -> str:
    """`text` as the pages show it (HTML-escaped)."""
    return str(escape(text))


@pytest.fixture
async def console_runtime(sample_db: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    settings = make_settings(sample_db, tmp_path, admins=ADMIN, admin_token=SCRIPT_TOKEN)
    async with open_runtime(settings) as runtime:
        yield runtime


@pytest.fixture
async def client(console_runtime: Runtime) -> AsyncIterator[TestClient]:
    app = build_app(console_runtime)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def services_of(client: TestClient) -> Services:
    return client.app[SERVICES]  # type: ignore[index]


async def ask_parking(client: TestClient) -> None:
    for text in PARKING:
        question = Question(text, Asker("U0ALICE"), frozenset({EVERYONE}))
        await services_of(client).answers.ask(question, "slack")


async def link_path(client: TestClient) -> str:
    return urlsplit(await services_of(client).sign_ins.link(ADMIN)).path


async def sign_in(client: TestClient, path: str | None = None, **headers: str) -> int:
    """Open the link, press its button; returns the status of the button's POST."""
    return (await press_sign_in(client, path, **headers)).status


async def press_sign_in(
    client: TestClient, path: str | None = None, **headers: str
) -> ClientResponse:
    page = await client.get(path or await link_path(client))
    assert page.status == 200
    token = re.search(r'name="token" value="([^"]+)"', await page.text())
    assert token is not None
    return await client.post(
        "/admin/sign-in", data={"token": token[1]}, allow_redirects=False, headers=headers
    )


async def csrf_of(client: TestClient) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', await (await client.get("/admin")).text())
    assert found is not None
    return found[1]


@pytest.mark.parametrize("page", [*PAGES, "/admin/api/report", "/admin/runs/1"])
async def test_without_a_session_every_page_is_401_with_how_to_sign_in_and_no_data(
    client: TestClient, page: str
) -> None:
    await ask_parking(client)

    response = await client.get(page)

    assert response.status == 401
    body = await response.text()
    assert "/deskmate admin" in body
    assert not any(shown(q) in body for q in PARKING)


async def test_a_sign_in_link_opens_a_session_cookie_and_the_knowledge_gap_is_shown(
    client: TestClient,
) -> None:
    await ask_parking(client)

    signed_in = await press_sign_in(client)

    assert signed_in.status == 303
    assert signed_in.headers["Location"] == "/admin"
    cookie = signed_in.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Max-Age=28800" in cookie  # DESKMATE_ADMIN_SESSION_HOURS=8
    assert "Secure" not in cookie  # plain HTTP on loopback
    gaps = await client.get("/admin")
    assert gaps.status == 200
    body = await gaps.text()
    assert any(shown(q) in body for q in PARKING)
    assert "<svg" in body
    assert gaps.headers["Cache-Control"] == "no-store"
    assert gaps.headers["Referrer-Policy"] == "no-referrer"
    for page in PAGES:
        assert (await client.get(page)).status == 200, page


async def test_behind_https_the_session_cookie_is_secure(client: TestClient) -> None:
    signed_in = await press_sign_in(client, **{"X-Forwarded-Proto": "https"})

    assert signed_in.status == 303
    assert "Secure" in signed_in.headers["Set-Cookie"]


async def test_a_used_link_is_refused(client: TestClient) -> None:
    path = await link_path(client)
    assert await sign_in(client, path) == 303
    client.session.cookie_jar.clear()

    assert await sign_in(client, path) == 403
    assert (await client.get("/admin")).status == 401


async def test_an_expired_or_forged_link_is_refused(client: TestClient) -> None:
    path = await link_path(client)
    async with services_of(client).runtime.store.pool.connection() as conn:
        await conn.execute("UPDATE admin_sign_ins SET expires_at = now() - interval '1 minute'")
    forged = (await link_path(client))[:-4] + "0000"

    assert await sign_in(client, path) == 403
    assert await sign_in(client, forged) == 403
    refused = await client.post("/admin/sign-in", data={"token": path.rsplit("/", 1)[1]})
    assert texts.CONSOLE_LINK_REFUSED.split(".")[0] in await refused.text()
    assert (await client.get("/admin")).status == 401


async def test_a_change_without_the_csrf_token_is_refused_403_and_changes_nothing(
    client: TestClient,
) -> None:
    await sign_in(client)
    runs_before = await services_of(client).runtime.store.runs.recent(10)

    missing = await client.post("/admin/sources/hr/reindex")
    wrong = await client.post("/admin/sources/hr/reindex", data={"csrf": "not-the-token"})

    assert (missing.status, wrong.status) == (403, 403)
    await services_of(client).reindexer.wait()
    assert await services_of(client).runtime.store.runs.recent(10) == runs_before


async def test_a_reindex_of_one_source_starts_from_the_console_and_is_refused_while_one_runs(
    client: TestClient,
) -> None:
    await sign_in(client)
    csrf = await csrf_of(client)
    store = services_of(client).runtime.store

    async with store.runs.exclusive():  # a run going on, here or on another replica
        refused = await client.post("/admin/sources/hr/reindex", data={"csrf": csrf})
    started = await client.post("/admin/sources/hr/reindex", data={"csrf": csrf})
    await services_of(client).reindexer.wait()

    assert refused.status == 409
    assert shown(texts.REINDEX_RUNNING) in await refused.text()
    assert started.status == 202
    assert shown(texts.CONSOLE_REINDEX_STARTED.format(source="hr")) in await started.text()
    (run, *_) = await store.runs.recent(1)
    assert (run.trigger, run.sources) == (f"admin:{ADMIN}", ("hr",))


async def test_signing_out_ends_the_session(client: TestClient) -> None:
    await sign_in(client)
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/admin"))

    out = await client.post("/admin/sign-out", data={"csrf": await csrf_of(client)})

    assert out.status == 200  # the signed-out page, after the redirect
    client.session.cookie_jar.update_cookies(cookie)  # the old cookie, replayed
    assert (await client.get("/admin")).status == 401


async def test_a_script_reads_the_report_with_the_admin_token_and_nothing_without(
    client: TestClient,
) -> None:
    await ask_parking(client)

    report = await client.get(
        "/admin/api/report?days=1", headers={"Authorization": f"Bearer {SCRIPT_TOKEN}"}
    )
    wrong = await client.get("/admin/api/report", headers={"Authorization": "Bearer guess"})

    assert report.status == 200
    (gap,) = (await report.json())["gaps"]
    assert gap["size"] == 3
    assert wrong.status == 401


async def test_the_sign_in_token_never_reaches_the_logs(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    path = await link_path(client)

    await sign_in(client, path)

    token = path.rsplit("/", 1)[1]
    assert "/admin/sign-in/…" in caplog.text
    assert token not in caplog.text
    assert token.split(".")[0] not in caplog.text
