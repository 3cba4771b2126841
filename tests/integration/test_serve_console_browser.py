"""The admin console in a real browser: the system's headless Chromium, driven by Playwright.

One browser, one story: an admin who is not signed in is told how to; a sign-in link from chat
opens the console; the knowledge gap that three unanswerable questions made is listed; a run's
failed files are shown with their reasons; a re-index of one source starts; a 👎 comment is
on the feedback page and every question in the log. Each page is saved
as a screenshot under tests/artifacts/ (git-ignored)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import Browser, Page, async_playwright, expect

from adapters.chat.services import Services
from adapters.runtime import Runtime, open_runtime
from adapters.server import SERVICES, build_app
from bot.models import EVERYONE, Asker, Question
from tests.conftest import EXAMPLES, FIXTURES, make_settings
from tests.integration.test_insights import PARKING

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ADMIN = "U0ADMIN"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    assert CHROMIUM.exists(), (
        "the browser tests need the system's Chromium: `make test` installs it "
        "(apt-get install -y chromium)"
    )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def with_a_bad_source(sample_db: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    """The sample knowledge base plus a source of broken files, indexed once."""
    sources = tmp_path / "sources.yaml"
    entries = [
        {"name": "hr", "kind": "files", "path": str(EXAMPLES / "kb" / "hr"), "contact": "@hr"},
        {"name": "exports", "kind": "files", "path": str(FIXTURES / "bad"), "contact": "#it"},
    ]
    sources.write_text(yaml.safe_dump({"sources": entries}), encoding="utf-8")
    settings = make_settings(sample_db, tmp_path, admins=ADMIN, sources_file=sources)
    async with open_runtime(settings) as runtime:
        runtime.configured_sources()
        summary = await runtime.reindex("tests", ["exports"])
        assert summary.failed, "the broken files fail"
        yield runtime


async def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def test_an_admin_signs_in_sees_the_gap_opens_a_runs_failed_files_and_reindexes(
    with_a_bad_source: Runtime, browser: Browser
) -> None:
    app = build_app(with_a_bad_source)
    services: Services = app[SERVICES]
    for text in PARKING:
        await services.answers.ask(Question(text, Asker("U0ALICE"), frozenset({EVERYONE})), "slack")
    vacation = Question("How many vacation days do I get?", Asker("U0BOB"), frozenset({EVERYONE}))
    rated = (await services.answers.ask(vacation, "teams")).answer
    assert rated is not None
    assert rated.answer_id
    await services.feedback("teams").comment(rated.answer_id, "U0BOB", "Is this still true?")
    async with TestClient(TestServer(app)) as client:
        base = str(client.make_url("")).rstrip("/")
        page = await browser.new_page(viewport={"width": 1200, "height": 800})

        refused = await page.goto(f"{base}/admin")
        assert refused is not None
        assert refused.status == 401
        await expect(page.locator("body")).to_contain_text("/deskmate admin")
        await shoot(page, "console-sign-in-needed")

        link = urlsplit(await services.sign_ins.link(ADMIN)).path
        await page.goto(base + link)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page).to_have_url(f"{base}/admin")
        gap = page.locator("tr.gap").first
        await expect(gap).to_contain_text("park")
        await expect(gap.locator("td").nth(1)).to_have_text("3")
        await shoot(page, "console-knowledge-gaps")

        await page.get_by_role("link", name="Sources and runs").click()
        await page.locator("a.bad", has_text="failed").first.click()
        failed = page.locator("#failed-files")
        await expect(failed).to_contain_text("corrupt.pdf")
        await expect(failed).to_contain_text("truncated.docx")
        await shoot(page, "console-run-failed-files")

        await page.get_by_role("link", name="Back to sources and runs").click()
        await page.get_by_role("button", name="Re-index hr").click()
        await expect(page.get_by_role("status")).to_contain_text("Re-indexing hr")
        await shoot(page, "console-reindex-started")
        await services.reindexer.wait()
        (run, *_) = await with_a_bad_source.store.runs.recent(1)
        assert (run.trigger, run.sources) == (f"admin:{ADMIN}", ("hr",))

        await page.get_by_role("link", name="Feedback").click()
        await expect(page.locator("#feedback")).to_contain_text("Is this still true?")
        await shoot(page, "console-feedback")

        await page.get_by_role("link", name="Question log").click()
        await expect(page.locator("main")).to_contain_text(PARKING[0])
        await shoot(page, "console-question-log")
