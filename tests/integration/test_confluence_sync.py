"""Live Confluence sync against a fake Confluence Cloud on loopback and the real database."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import docx
import pytest
from pydantic import SecretStr

from adapters.runtime import Runtime, open_runtime
from adapters.settings import AppSettings
from bot.models import EVERYONE, Asker, Question
from indexer.wiki import sync as wiki_sync
from tests.conftest import make_settings
from tests.fakes.bot_connector import Call
from tests.fakes.confluence_api import (
    API_TOKEN,
    EMAIL,
    PERSONAL_TOKEN,
    FakeConfluence,
    FakePage,
    serve,
)

DANA = "dana@acme.example"


def _docx(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _wiki() -> FakeConfluence:
    fake = FakeConfluence()
    fake.space("HR", "10", "Human Resources", [("group", "gid-users"), ("group", "gid-hr")])
    fake.groups.update({"gid-users": "confluence-users", "gid-hr": "hr"})
    fake.emails["acc-dana"] = DANA
    fake.add(FakePage("1", "HR Home", "HR", "<p>Welcome to the people team.</p>"))
    fake.add(
        FakePage(
            "2",
            "Benefits",
            "HR",
            "<h1>Dental</h1><p>Dental cover pays 80 percent of treatment.</p>",
            parent="1",
            attachments={"rates.docx": _docx("Gym membership is refunded up to 40 EUR.")},
        )
    )
    fake.add(
        FakePage(
            "3",
            "Salaries",
            "HR",
            "<p>Salary bands are reviewed every April by the pay committee.</p>",
            parent="1",
            read_groups=["hr"],
        )
    )
    fake.add(FakePage("4", "Band details", "HR", "<p>Band E starts at 90k.</p>", parent="3"))
    fake.add(
        FakePage(
            "5",
            "Exec offsite",
            "HR",
            "<p>The leadership offsite is in Lisbon this year.</p>",
            parent="1",
            read_users=["acc-dana"],
        )
    )
    return fake


@pytest.fixture
def wiki() -> Iterator[tuple[FakeConfluence, str]]:
    fake = _wiki()
    with serve(fake) as url:
        yield fake, url
    fake.release.set()


@pytest.fixture
def wiki_settings(empty_db: str, tmp_path: Path, wiki: tuple[FakeConfluence, str]) -> AppSettings:
    _, url = wiki
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        "  - name: wiki\n"
        "    kind: confluence-cloud\n"
        f"    base_url: {url}\n"
        "    spaces: [HR]\n"
        "    everyone_groups: [confluence-users]\n"
    )
    groups = tmp_path / "groups.yaml"
    groups.write_text("groups:\n  hr: [U0HR]\n")
    return make_settings(
        empty_db,
        tmp_path,
        sources_file=sources,
        groups_file=groups,
        confluence_email=EMAIL,
        confluence_api_token=API_TOKEN,
    )


@pytest.fixture
async def rt(wiki_settings: AppSettings) -> AsyncIterator[Runtime]:
    async with open_runtime(wiki_settings) as runtime:
        yield runtime


async def _titles(runtime: Runtime, query: str, groups: frozenset[str]) -> list[str]:
    retrieved = await runtime.engine.retriever.retrieve(query, groups)
    return [c.title for c in retrieved.chunks]


async def test_first_sync_indexes_pages_attachments_and_their_audiences(
    rt: Runtime, wiki: tuple[FakeConfluence, str], caplog: pytest.LogCaptureFixture
) -> None:
    fake, _ = wiki
    fake.rate_limited.add("/wiki/api/v2/spaces/10/pages")
    caplog.set_level(logging.DEBUG)

    summary = await rt.reindex("test")

    assert (summary.added, summary.failed) == (6, 0), summary.errors
    audiences = await rt.store.documents.audiences("wiki")
    assert audiences == {
        "pages/1": (EVERYONE, "hr"),
        "pages/2": (EVERYONE, "hr"),
        "pages/2/attachments/rates.docx": (EVERYONE, "hr"),
        "pages/3": ("hr",),
        "pages/4": ("hr",),  # inherited from its restricted parent
        "pages/5": (f"user:{DANA}",),
    }
    pages_listings = [p for p, _ in fake.requests if p == "/wiki/api/v2/spaces/10/pages"]
    assert len(pages_listings) >= 2  # the 429 was retried
    assert API_TOKEN not in caplog.text
    assert all(a.startswith("Basic ") for a in fake.authorizations)


async def test_pages_carry_breadcrumbs_urls_and_converted_text(
    rt: Runtime, wiki: tuple[FakeConfluence, str]
) -> None:
    _, url = wiki
    await rt.reindex("test")

    retrieved = await rt.engine.retriever.retrieve("band E salary", frozenset({"hr"}))
    chunk = next(c for c in retrieved.chunks if c.title == "Band details")
    assert chunk.url == f"{url}/pages/viewpage.action?pageId=4"
    gym = await rt.engine.retriever.retrieve("gym membership refund", frozenset({EVERYONE}))
    assert gym.chunks[0].title == "rates.docx (attachment of Benefits)"


async def test_a_restricted_page_is_answered_to_a_member_only_and_never_in_a_mixed_channel(
    rt: Runtime,
) -> None:
    await rt.reindex("test")
    member, outsider = Asker("U0HR"), Asker("U0ENG", email="lee@acme.example")
    query = "When are salary bands reviewed?"

    def ask(audience: frozenset[str], asker: Asker) -> Question:
        return Question(query, asker, audience, rt.directory.groups_of(asker))

    in_dm = await rt.engine.answer(ask(rt.directory.groups_of(member), member))
    to_outsider = await rt.engine.answer(ask(rt.directory.groups_of(outsider), outsider))
    shared = await rt.audience.shared(member, [member, outsider])
    in_channel = await rt.engine.answer(ask(shared, member))

    assert "Salaries" in [c.title for c in in_dm.citations]
    for answer in (to_outsider, in_channel):
        assert "Salaries" not in [c.title for c in answer.citations]
        assert "April" not in answer.text


async def test_a_page_restricted_to_a_person_reaches_them_by_email(rt: Runtime) -> None:
    await rt.reindex("test")
    dana = rt.directory.groups_of(Asker("U0DANA", email=DANA.upper()))
    other = rt.directory.groups_of(Asker("U0LEE", email="lee@acme.example"))

    assert "Exec offsite" in await _titles(rt, "leadership offsite Lisbon", dana)
    assert "Exec offsite" not in await _titles(rt, "leadership offsite Lisbon", other)


async def test_only_changed_pages_are_fetched_again(
    rt: Runtime, wiki: tuple[FakeConfluence, str]
) -> None:
    fake, _ = wiki
    await rt.reindex("test")
    fake.edit("2", "<h1>Dental</h1><p>Dental cover pays 90 percent of treatment.</p>")
    fake.requests.clear()

    summary = await rt.reindex("test")

    assert fake.body_requests() == ["2"]
    assert (summary.updated, summary.added, summary.deleted) == (1, 0, 0)
    assert summary.unchanged == 5  # four pages not fetched, and the page's unchanged attachment
    assert any('lastmodified >= "' in q for p, q in fake.requests if p.endswith("search"))


async def test_a_cql_scope_syncs_the_pages_it_names_and_drops_a_page_that_leaves_it(
    empty_db: str, tmp_path: Path, wiki: tuple[FakeConfluence, str]
) -> None:
    fake, url = wiki
    fake.pages["2"].labels = ["handbook"]
    fake.pages["1"].labels = ["handbook"]
    sources = tmp_path / "labelled.yaml"
    sources.write_text(
        "sources:\n  - name: wiki\n    kind: confluence-cloud\n"
        f"    base_url: {url}\n    cql: 'label = \"handbook\"'\n"
        "    everyone_groups: [confluence-users]\n"
    )
    settings = make_settings(
        empty_db,
        tmp_path,
        sources_file=sources,
        confluence_email=EMAIL,
        confluence_api_token=API_TOKEN,
    )
    async with open_runtime(settings) as runtime:
        first = await runtime.reindex("test")
        fake.pages["2"].labels = []  # the Benefits page leaves the scope
        second = await runtime.reindex("test")
        titles = await _titles(runtime, "dental cover", frozenset({EVERYONE}))

    assert first.added == 3  # HR Home, Benefits and its attachment; not the other pages
    assert second.deleted == 2
    assert "Benefits" not in titles
    searches = [q for p, q in fake.requests if p.endswith("search")]
    assert searches
    assert all('(label = "handbook") and type = page' in q for q in searches)


async def test_a_deleted_page_is_gone_after_the_next_sync(
    rt: Runtime, wiki: tuple[FakeConfluence, str]
) -> None:
    fake, _ = wiki
    await rt.reindex("test")
    del fake.pages["2"]

    summary = await rt.reindex("test")

    assert summary.deleted == 2  # the page and its attachment
    assert "Benefits" not in await _titles(rt, "dental cover", frozenset({EVERYONE}))
    [state] = await rt.store.sync.states()
    assert state.figures["deleted"] == 1
    assert state.figures["seen"] == 4


async def test_a_permission_change_applies_without_re_embedding(
    rt: Runtime, wiki: tuple[FakeConfluence, str]
) -> None:
    fake, _ = wiki
    await rt.reindex("test")
    outsider = frozenset({EVERYONE})
    assert "Salaries" not in await _titles(rt, "salary bands April", outsider)
    fake.pages["3"].read_groups = []  # restrictions lifted: the page inherits the space

    summary = await rt.reindex("test")

    assert (summary.embedded, summary.updated) == (0, 0)
    assert "Salaries" in await _titles(rt, "salary bands April", outsider)
    assert "Band details" in await _titles(rt, "Band E starts", outsider)
    [state] = await rt.store.sync.states()
    assert state.figures["permissions_changed"] == 2


async def test_a_failing_page_is_reported_keeps_its_version_and_is_retried(
    rt: Runtime, wiki: tuple[FakeConfluence, str]
) -> None:
    fake, _ = wiki
    await rt.reindex("test")
    fake.edit("2", "<p>Dental cover pays 95 percent of treatment.</p>")
    fake.failing.add("2")

    failed = await rt.reindex("test")

    assert [e.path for e in failed.errors] == ["pages/2"]
    assert "Benefits" in failed.errors[0].reason
    kept = await rt.engine.retriever.retrieve("dental cover percent", frozenset({EVERYONE}))
    assert "80 percent" in kept.chunks[0].text
    fake.failing.clear()
    fake.pages["2"].modified = fake.pages["2"].modified.replace(year=2020)  # not in CQL
    fake.requests.clear()

    retried = await rt.reindex("test")

    assert retried.failed == 0
    assert "2" in fake.body_requests()


async def test_an_interrupted_sync_resumes_where_it_stopped(
    rt: Runtime, wiki: tuple[FakeConfluence, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, _ = wiki
    monkeypatch.setattr(wiki_sync, "PAGES_PER_BATCH", 2)
    fake.hold = "4"  # pages 1-3 are written (a batch of 2, then page 3 waits for page 4)
    task = asyncio.create_task(rt.reindex("test"))
    await asyncio.to_thread(fake.held.wait, 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    fake.hold = None
    fake.release.set()
    stored = await rt.store.documents.hashes("wiki")
    assert {"pages/1", "pages/2"} <= set(stored)
    fake.requests.clear()

    summary = await rt.reindex("test")

    assert summary.failed == 0
    assert "1" not in fake.body_requests()
    assert "2" not in fake.body_requests()
    assert set(await rt.store.documents.hashes("wiki")) >= {f"pages/{n}" for n in range(1, 6)}


def test_cli_status_shows_each_live_source_s_sync_figures(
    wiki_settings: AppSettings, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from adapters.cli import app

    env = {
        "DATABASE_URL": wiki_settings.store.database_url,
        "DESKMATE_DATA_DIR": str(tmp_path / "data"),
        "DESKMATE_SOURCES": str(wiki_settings.sources.sources_file),
        "DESKMATE_GROUPS": str(wiki_settings.sources.groups_file),
        "CONFLUENCE_EMAIL": EMAIL,
        "CONFLUENCE_API_TOKEN": API_TOKEN,
    }
    runner = CliRunner()

    indexed = runner.invoke(app, ["index", "--source", "wiki"], env=env)
    status = runner.invoke(app, ["status", "--json"], env=env)
    text = runner.invoke(app, ["status"], env=env)

    assert indexed.exit_code == 0, indexed.output
    [sync] = json.loads(status.stdout)["syncs"]
    assert sync["source"] == "wiki"
    assert sync["last_success_at"] is not None
    assert (sync["seen"], sync["changed"], sync["deleted"], sync["failed"]) == (5, 5, 0, 0)
    assert "Live sync" in text.stdout
    assert all(API_TOKEN not in r.output for r in (indexed, status, text))


def test_cli_index_without_credentials_says_what_to_set(
    wiki_settings: AppSettings, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from adapters.cli import app

    env = {
        "DATABASE_URL": wiki_settings.store.database_url,
        "DESKMATE_DATA_DIR": str(tmp_path / "data"),
        "DESKMATE_SOURCES": str(wiki_settings.sources.sources_file),
    }

    result = CliRunner().invoke(app, ["index"], env=env)

    assert result.exit_code == 1
    assert "CONFLUENCE_EMAIL and CONFLUENCE_API_TOKEN must be set" in result.output
    assert "Traceback" not in result.output


async def test_a_data_center_site_syncs_over_rest_v1_with_a_personal_access_token(
    empty_db: str, tmp_path: Path, wiki: tuple[FakeConfluence, str]
) -> None:
    fake, url = wiki
    sources = tmp_path / "dc-sources.yaml"
    sources.write_text(
        "sources:\n  - name: dc\n    kind: confluence-datacenter\n"
        f"    base_url: {url}\n    spaces: [HR]\n    audience: [staff]\n"
    )
    settings = make_settings(
        empty_db, tmp_path, sources_file=sources, confluence_token=PERSONAL_TOKEN
    )
    async with open_runtime(settings) as runtime:
        summary = await runtime.reindex("test")
        fake.edit("4", "<p>Band E starts at 95k.</p>")
        fake.requests.clear()
        again = await runtime.reindex("test")
        audiences = await runtime.store.documents.audiences("dc")

    assert (summary.added, summary.failed) == (6, 0), summary.errors
    assert (again.updated, again.failed) == (1, 0)
    assert fake.body_requests() == ["4"]
    assert fake.authorizations >= {f"Bearer {PERSONAL_TOKEN}"}
    assert audiences["pages/1"] == ("staff",)  # the space's readers come from sources.yaml
    assert audiences["pages/4"] == ("hr",)
    assert not any(p.startswith("/wiki/api/v2") for p, _ in fake.requests)


async def test_on_slack_a_page_restricted_to_a_person_reaches_only_their_dm(
    wiki_settings: AppSettings, empty_db: str, tmp_path: Path
) -> None:
    from tests.fakes.slack_api import BOT_USER, FakeSlackApi, app_mention, direct_message
    from tests.integration.test_slack import running, slack_settings

    dana, bob, room = "U0DANA", "U0BOB", "C0MIXED"
    question = "Where is the leadership offsite this year?"
    with FakeSlackApi() as api:
        api.members = {room: [dana, bob, BOT_USER]}
        api.emails = {dana: DANA, bob: "bob@acme.example"}  # users.info with users:read.email
        settings = slack_settings(
            empty_db,
            tmp_path,
            api,
            sources_file=wiki_settings.sources.sources_file,
            groups_file=wiki_settings.sources.groups_file,
            confluence_email=EMAIL,
            confluence_api_token=API_TOKEN,
        )
        async with running(settings, api) as deskmate:
            await deskmate.runtime.reindex("test")
            to_dana = await deskmate.ask(direct_message(question, dana, "D0DANA", "1.1"))
            to_bob = await deskmate.ask(direct_message(question, bob, "D0BOB", "2.1"))
            in_room = await deskmate.ask(app_mention(question, dana, room, ts="3.1"))

    assert "Lisbon" in to_dana.text
    assert "Lisbon" not in to_bob.text
    assert "Lisbon" not in in_room.text


async def test_on_teams_a_page_restricted_to_a_person_reaches_only_their_personal_chat(
    wiki: tuple[FakeConfluence, str], wiki_settings: AppSettings, empty_db: str, tmp_path: Path
) -> None:
    from tests.integration.test_teams import HR_LEAD, PAT, running_teams

    fake, _ = wiki
    fake.emails["acc-dana"] = "dana.hr@halyard.example"  # the offsite page's one reader
    async with open_runtime(wiki_settings) as runtime:
        await runtime.reindex("test")
    question = "Where is the leadership offsite this year?"
    async with running_teams(
        empty_db,
        tmp_path,
        sources_file=wiki_settings.sources.sources_file,
        groups_file=wiki_settings.sources.groups_file,
    ) as teams:
        to_dana = await teams.ask(teams.personal(question, HR_LEAD))
        to_pat = await teams.ask(teams.personal(question, PAT))
        in_channel = await teams.ask(teams.channel(question, HR_LEAD))

    assert "Lisbon" in _said(to_dana)
    assert "Lisbon" not in _said(to_pat)
    assert "Lisbon" not in _said(in_channel)  # Pat is in the channel too


def _said(call: Call) -> str:
    """The text of a Teams reply, whether a message or an Adaptive Card."""
    card = call.card or {}
    return "\n".join(
        [str(call.body.get("text") or "")]
        + [str(block.get("text", "")) for block in card.get("body", [])]
    )


async def test_wrong_credentials_stop_the_sync_with_what_to_check_and_keep_everything(
    rt: Runtime, wiki_settings: AppSettings
) -> None:
    await rt.reindex("test")
    settings = wiki_settings.replace(confluence_api_token=SecretStr("wrong-token"))
    async with open_runtime(settings) as runtime:
        summary = await runtime.reindex("test")

    [error] = summary.errors
    assert "401" in error.reason
    assert "CONFLUENCE_API_TOKEN" in error.reason
    assert "wrong-token" not in error.reason
    assert len(await rt.store.documents.hashes("wiki")) == 6
