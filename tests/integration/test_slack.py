"""Deskmate on Slack, end to end: signed requests into the real aiohttp app (`build_app`), a fake
Slack Web API on loopback recording what Deskmate posts (and what each message shows after its
stream or updates), the sample knowledge base in Postgres.

Each test reads as "when Slack sends this, people in Slack see that".
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import REGISTRY

from adapters.chat.services import Services
from adapters.runtime import Runtime, open_runtime
from adapters.server import SERVICES, build_app
from adapters.settings import AppSettings
from adapters.slack.render import (
    ACTION_HANDOFF,
    ACTION_HELPFUL,
    ACTION_NOT_HELPFUL,
    ACTION_PRIVATE,
    ACTION_SHARE,
    COMMENT_BLOCK,
    action_value,
)
from bot import texts
from indexer.records import Source
from tests.conftest import exports_with_a_broken_file, llm_settings, make_settings
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.fakes.slack_api import (
    APP_TOKEN,
    BOT_ID,
    BOT_TOKEN,
    BOT_USER,
    SIGNING_SECRET,
    TEAM,
    Call,
    FakeSlackApi,
    SlackSender,
    app_mention,
    block_action,
    direct_message,
    error,
    event_callback,
    feedback_choice,
    rate_limited,
    slash_command,
    view_submission,
)
from tests.integration.test_insights import PARKING

ALICE, BOB, HR_LEAD, ADMIN = "U0ALICE", "U0BOB", "U0HRLEAD", "U0ADMIN"
GENERAL = "C0GENERAL"  # Alice, Bob
HR_ROOM = "C0HRROOM"  # the HR lead alone
MIXED = "C0MIXED"  # the HR lead and Bob
SECRET = "C0SECRET"  # a channel whose members the bot cannot read
DM = "D0ALICE"
HR_DM = "D0HRLEAD"
T1, T2, T3 = "1700000001.000100", "1700000002.000200", "1700000003.000300"
ESPP = "What is the ESPP discount?"
SALARY = "Salary band for L4"
HR_ONLY = "hr-restricted"  # the HR-only source, named under its documents


@dataclass
class Deskmate:
    """The running app as Slack sees it, and the fake Slack it talks to."""

    slack: SlackSender
    api: FakeSlackApi
    services: Services
    runtime: Runtime

    async def settle(self) -> None:
        """Wait until every acknowledged request has been fully handled."""
        await self.services.idle()

    async def ask(self, event: dict[str, Any]) -> Call:
        """Send an event; return the final state of the reply it produced."""
        status, _ = await self.slack.event(event)
        assert status == 200
        await self.settle()
        return self.reply_to(event)

    def reply_to(self, event: dict[str, Any]) -> Call:
        """The message that answered `event` (the last one opened in its channel, by a
        stream or as "looking it up"), as it shows now."""
        channel = event["channel"]
        opened = [c for c in self.api.calls_to("chat.startStream", channel=channel) if c.ok] + [
            c
            for c in self.api.calls_to("chat.postMessage", channel=channel)
            if c.args.get("text") == texts.LOOKING_UP
        ]
        assert opened, f"no reply was posted for {event}"
        return self.api.message(channel, max(opened, key=lambda c: c.at).ts)

    async def rate(self, answer: Call, user: str, *, helpful: bool, **where: Any) -> None:
        """A click on the answer's native 👍 (or 👎)."""
        feedback = answer.feedback()
        assert feedback is not None, f"no feedback buttons under {answer.args}"
        await self.click(feedback_choice(feedback, positive=helpful), user, answer, **where)

    async def click(self, button: dict[str, Any], user: str, on: Call, **where: Any) -> None:
        channel = on.args.get("channel")
        payload = block_action(button, user, channel, on.ts, self.api.response_url(), **where)
        status, _ = await self.slack.interaction(payload)
        assert status == 200
        await self.settle()

    async def command(self, text: str, user: str = ALICE, channel: str = GENERAL) -> str:
        """Run `/deskmate <text>`; returns what Slack shows at once (the acknowledgement)."""
        fields = slash_command(text, user, channel, self.api.response_url())
        status, body = await self.slack.command(fields)
        assert status == 200
        await self.settle()
        return str(json.loads(body)["text"]) if body.startswith("{") else body  # or plain text

    def ephemerals(self, user: str) -> list[Call]:
        return self.api.calls_to("chat.postEphemeral", user=user)


def slack_settings(
    database_url: str, tmp_path: Path, api: FakeSlackApi, **more: Any
) -> AppSettings:
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": api.api_url,
        "admins": ADMIN,
        **more,
    }
    if "openai_base_url" in values:
        return llm_settings(database_url, tmp_path, values.pop("openai_base_url"), **values)
    return make_settings(database_url, tmp_path, **values)


@asynccontextmanager
async def running(settings: AppSettings, api: FakeSlackApi) -> AsyncIterator[Deskmate]:
    async with open_runtime(settings) as runtime:
        app = build_app(runtime)
        async with TestClient(TestServer(app)) as http:
            yield Deskmate(SlackSender(http), api, app[SERVICES], runtime)


@pytest.fixture
def api() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as fake:
        fake.members = {
            GENERAL: [ALICE, BOB, BOT_USER],
            HR_ROOM: [HR_LEAD, BOT_USER],
            MIXED: [HR_LEAD, BOB, BOT_USER],
        }
        fake.emails = {ALICE: "alice@halyard.example", BOB: "bob@halyard.example"}
        fake.usergroups = [{"id": "S0HRTEAM", "handle": "hr-team", "name": "HR team"}]
        yield fake


@pytest.fixture
async def deskmate(sample_db: str, tmp_path: Path, api: FakeSlackApi) -> AsyncIterator[Deskmate]:
    async with running(slack_settings(sample_db, tmp_path, api), api) as app:
        yield app


def sources_of(reply: Call) -> str:
    return " ".join(e["text"] for b in reply.blocks_of("context") for e in b["elements"])


def answer_id_of(reply: Call) -> str:
    feedback = reply.feedback()
    assert feedback is not None, f"no feedback buttons under {reply.args}"
    return str(json.loads(feedback["positive_button"]["value"])["answer"])


# --- questions and answers --------------------------------------------------------------------


async def test_a_mention_is_streamed_into_its_thread_with_sources_and_feedback_at_the_end(
    deskmate: Deskmate,
) -> None:
    status, _ = await deskmate.slack.event(app_mention(ESPP, ALICE, GENERAL, ts=T1))
    assert status == 200
    await deskmate.settle()

    (start,) = deskmate.api.calls_to("chat.startStream", channel=GENERAL)
    assert start.args["thread_ts"] == T1
    assert (start.args["recipient_user_id"], start.args["recipient_team_id"]) == (ALICE, TEAM)
    (stop,) = deskmate.api.calls_to("chat.stopStream", channel=GENERAL, ts=start.ts)
    assert "15% discount" in stop.args["markdown_text"]
    assert "*Sources*" in sources_of(stop)
    assert (
        "<https://hr.halyard.example/exports/benefits-guide.docx|Benefits Guide 2026>"
        in sources_of(stop)
    )
    assert stop.feedback() is not None
    assert deskmate.api.calls_to("chat.postMessage") == []  # no "looking it up" to replace
    assert deskmate.api.calls_to("assistant.threads.setStatus") == []  # only in the app's DMs
    stored = await deskmate.runtime.store.feedback.answer(answer_id_of(stop))
    assert stored is not None
    assert stored.question == ESPP


async def test_a_direct_message_is_answered_in_the_dm(deskmate: Deskmate) -> None:
    # worded as the policy is: a pure paraphrase ("vacation days") is refused without an LLM,
    # see docs/quality.md
    reply = await deskmate.ask(
        direct_message("How many days of paid time off do I get?", ALICE, DM, T1)
    )

    (status,) = deskmate.api.calls_to("assistant.threads.setStatus", channel_id=DM)
    assert (status.args["thread_ts"], status.args["status"]) == (T1, texts.WORKING_STATUS)
    assert status.args["loading_messages"]
    (start,) = deskmate.api.calls_to("chat.startStream", channel=DM)
    assert start.at > status.at
    assert start.args["thread_ts"] == T1  # the agent's thread of the question
    assert "recipient_user_id" not in start.args  # only needed in channels
    assert reply.ts == start.ts
    assert "20 days" in reply.text
    assert "Paid Time Off Policy" in sources_of(reply)
    assert reply.feedback() is not None


async def test_where_slack_refuses_to_stream_the_answer_replaces_looking_it_up(
    deskmate: Deskmate,
) -> None:
    deskmate.api.script("chat.startStream", error("feature_not_enabled"))

    reply = await deskmate.ask(app_mention(ESPP, ALICE, GENERAL, ts=T1))

    (placeholder,) = deskmate.api.calls_to("chat.postMessage", channel=GENERAL)
    assert (placeholder.args["thread_ts"], placeholder.args["text"]) == (T1, texts.LOOKING_UP)
    (update,) = deskmate.api.calls_to("chat.update", channel=GENERAL, ts=placeholder.ts)
    assert reply.args["blocks"] == update.args["blocks"]
    assert "15% discount" in reply.text
    assert reply.feedback() is not None


async def test_a_follow_up_in_a_channel_thread_continues_the_conversation(
    deskmate: Deskmate,
) -> None:
    await deskmate.ask(app_mention(ESPP, ALICE, GENERAL, ts=T1))

    follow_up = await deskmate.ask(
        app_mention("how much of my salary can I put in?", ALICE, GENERAL, ts=T2, thread_ts=T1)
    )

    replies = deskmate.api.calls_to("chat.startStream", channel=GENERAL)
    assert [r.args["thread_ts"] for r in replies] == [T1, T1]
    assert "1% to 10% of base salary" in follow_up.text
    turns = await deskmate.runtime.store.conversations.recent(f"slack:{GENERAL}:{T1}", 5)
    assert [q for q, _ in turns] == [ESPP, "how much of my salary can I put in?"]


async def test_a_reply_in_the_thread_of_a_dm_answer_needs_no_mention_and_has_memory(
    deskmate: Deskmate,
) -> None:
    first = await deskmate.ask(direct_message(ESPP, ALICE, DM, T1))
    assert first.args["thread_ts"] == T1  # the answer opened the thread of the question

    await deskmate.ask(direct_message("and how much can I put in?", ALICE, DM, T2, T1))

    _, in_thread = deskmate.api.calls_to("chat.startStream", channel=DM)
    assert in_thread.args["thread_ts"] == T1
    turns = await deskmate.runtime.store.conversations.recent(f"slack:{DM}:{T1}", 5)
    assert [q for q, _ in turns] == [ESPP, "and how much can I put in?"]


async def test_a_follow_up_in_a_thread_takes_what_people_said_there_into_account(
    deskmate: Deskmate,
) -> None:
    deskmate.api.threads[(GENERAL, T1)] = [
        {
            "type": "message",
            "user": BOB,
            "text": "How many days of paid time off do I get?",
            "ts": T1,
        },
        {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "text": "calibration", "ts": T2},
        {"type": "message", "user": ALICE, "text": f"<@{BOT_USER}> is that per year?", "ts": T3},
    ]

    follow_up = await deskmate.ask(app_mention("is that per year?", ALICE, GENERAL, T3, T1))

    (read,) = deskmate.api.calls_to("conversations.replies", channel=GENERAL, ts=T1)
    assert int(read.args["limit"]) <= 100  # bounded
    assert "20 days" in follow_up.text  # Bob's question gave "that" its meaning


async def test_a_question_with_a_file_says_the_file_was_not_read(deskmate: Deskmate) -> None:
    screenshot = {"id": "F0SHOT", "name": "vpn-error.png", "mimetype": "image/png"}
    event = direct_message("How do I connect to the VPN?", ALICE, DM, T1) | {
        "subtype": "file_share",
        "files": [screenshot],
    }

    reply = await deskmate.ask(event)
    plain = await deskmate.ask(direct_message("How do I connect to the VPN?", ALICE, DM, T2))

    assert texts.ATTACHMENTS_IGNORED in sources_of(reply)
    assert reply.feedback() is not None  # answered from the text all the same
    assert texts.ATTACHMENTS_IGNORED not in sources_of(plain)


async def test_the_bots_own_messages_edits_and_other_bots_get_no_answer(
    deskmate: Deskmate,
) -> None:
    own = direct_message("Looking that up…", BOT_USER, DM, T1) | {"bot_id": BOT_ID}
    edit = {"type": "message", "subtype": "message_changed", "channel": DM, "ts": T2}
    other_bot = direct_message("ping", "U0OTHERBOT", DM, T3) | {"bot_id": "B0OTHER"}
    for event in (own, edit, other_bot):
        status, _ = await deskmate.slack.event(event)
        assert status == 200
    await deskmate.settle()

    assert deskmate.api.calls_to("chat.postMessage") == []
    assert deskmate.api.calls_to("chat.startStream") == []


async def test_an_empty_mention_is_asked_for_a_question(deskmate: Deskmate) -> None:
    reply = await deskmate.ask(app_mention("", ALICE, GENERAL, ts=T1))

    assert texts.EMPTY_QUESTION in reply.text


# --- the agent messaging experience ----------------------------------------------------------


def home_opened(user: str, channel: str, tab: str = "messages") -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": channel, "tab": tab, "event_ts": T1}


async def test_opening_the_messages_tab_suggests_prompts_about_documents_the_person_may_see(
    deskmate: Deskmate,
) -> None:
    for event in (
        home_opened(ALICE, DM),
        home_opened(HR_LEAD, HR_DM),
        home_opened(BOB, "D0B", "home"),
    ):
        status, _ = await deskmate.slack.event(event)
        assert status == 200
    await deskmate.settle()

    alice, hr_lead = deskmate.api.calls_to("assistant.threads.setSuggestedPrompts")
    assert alice.args["channel_id"] == DM
    assert "thread_ts" not in alice.args  # with one, agent apps' prompts silently fail
    prompts = alice.args["prompts"]
    assert 1 <= len(prompts) <= 4
    assert all(p["title"] and p["message"] for p in prompts)
    assert "What should I know about Paid Time Off Policy?" in [p["message"] for p in prompts]
    assert restricted_in(json.dumps(prompts)) == []
    assert hr_lead.args["channel_id"] == HR_DM  # the Home tab (Bob's) gets none


async def test_configured_suggested_prompts_are_used_as_they_are(
    sample_db: str, tmp_path: Path, api: FakeSlackApi
) -> None:
    settings = slack_settings(
        sample_db, tmp_path, api, suggested_prompts="How do I expense travel? | Who is on call?"
    )
    async with running(settings, api) as deskmate:
        await deskmate.slack.event(home_opened(ALICE, DM))
        await deskmate.settle()

    (call,) = api.calls_to("assistant.threads.setSuggestedPrompts")
    assert [p["message"] for p in call.args["prompts"]] == [
        "How do I expense travel?",
        "Who is on call?",
    ]


# --- odd and hostile questions ---------------------------------------------------------------

MASS_PING = re.compile(r"<!(?:channel|here|everyone)[|>]|(?<![\w.+-])@(?:channel|here|everyone)\b")
SLACK_TEXT_LIMIT = 40_000  # characters of `text` Slack accepts in one message


def posted(api: FakeSlackApi) -> str:
    """Everything Deskmate sent to Slack, as one JSON string."""
    return json.dumps([c.args for c in api.calls], ensure_ascii=False)


def within_slack_limits(call: Call) -> bool:
    blocks = call.args.get("blocks") or []
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    markdown = [b["text"] for b in blocks if b["type"] == "markdown"]
    return (
        len(str(call.args.get("text") or "")) <= SLACK_TEXT_LIMIT
        and len(blocks) <= 50
        and all(len(t) <= 3000 for t in sections)
        and sum(map(len, markdown)) <= 12_000
    )


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        pytest.param("🎉🎉🙏", texts.EMPTY_QUESTION, id="only emoji"),
        pytest.param("\u200b\u200d  \u2060", texts.EMPTY_QUESTION, id="only invisible"),
        pytest.param(
            "why is the VPN slow? " + "log line 0xDEADBEEF " * 2500,
            texts.QUESTION_TOO_LONG.format(limit=2000),
            id="50 KB paste",
        ),
    ],
)
async def test_a_question_with_nothing_to_answer_gets_one_short_friendly_reply(
    deskmate: Deskmate, question: str, expected: str
) -> None:
    reply = await deskmate.ask(app_mention(question, ALICE, GENERAL, ts=T1))

    assert reply.text.strip() == expected
    assert within_slack_limits(reply)
    assert await deskmate.runtime.store.feedback.counts() == {}  # no model, no stored answer


@pytest.mark.parametrize(
    "question",
    [
        pytest.param("有給休暇は何日もらえますか?", id="Japanese"),
        pytest.param("كم عدد أيام الإجازة السنوية؟", id="Arabic"),
        pytest.param("'; DROP TABLE documents; -- how many vacation days?", id="SQL"),
        pytest.param(
            '{"blocks":[{"type":"section","text":{"type":"mrkdwn","text":"<!channel> *pwned*"}}]}'
            " vacation days",
            id="Block Kit",
        ),
        pytest.param(
            "<!here> <!channel> @everyone [click](https://evil.example) **vacation** days?",
            id="pings and Markdown",
        ),
    ],
)
async def test_any_language_or_injection_attempt_is_answered_as_plain_text_and_pings_nobody(
    deskmate: Deskmate, question: str
) -> None:
    reply = await deskmate.ask(app_mention(question, ALICE, GENERAL, ts=T1))

    answer_id = answer_id_of(reply)  # an answer (or an honest "don't know"), not an error
    assert within_slack_limits(reply)
    assert not MASS_PING.search(posted(deskmate.api))
    stored = await deskmate.runtime.store.feedback.answer(answer_id)
    assert stored is not None
    without_slack_markup = " ".join(re.sub(r"<![^>]*>", "", question).split())
    assert stored.question == without_slack_markup  # kept as data, word for word
    assert sum(s.documents for s in await deskmate.runtime.store.stats()) > 0


async def test_pings_in_documents_and_in_the_echoed_question_notify_nobody(
    deskmate: Deskmate, tmp_path: Path
) -> None:
    notice = tmp_path / "notices"
    notice.mkdir()
    (notice / "closure.md").write_text(
        "# Office closure\n\n<!channel> @here @everyone The Halyard office closes on Friday "
        "24 December at 14:00 for the winter break. <!subteam^S0ALL|@all-staff> please plan.\n"
    )
    await deskmate.runtime.index([Source("notices", "files", notice)], "test")

    closure = await deskmate.ask(
        app_mention("When does the office close for the winter break?", ALICE, GENERAL, T1)
    )
    unknown = await deskmate.ask(
        app_mention("<!here> @channel what is the capital of Peru?", ALICE, GENERAL, T2)
    )
    await deskmate.click(unknown.buttons()[ACTION_HANDOFF], ALICE, unknown, thread_ts=T2)

    assert "14:00" in closure.text  # the document is quoted...
    (handed,) = deskmate.api.calls_to("chat.postMessage", channel="it-help")
    assert "what is the capital of Peru?" in handed.text  # ...the question is echoed...
    assert not MASS_PING.search(posted(deskmate.api))  # ...and nothing pings anyone
    assert "<!subteam^S0ALL" not in posted(deskmate.api)


# --- who is listening ---------------------------------------------------------------------


async def test_in_a_shared_channel_only_what_every_member_may_see_is_used_and_a_private_answer_is_offered(  # noqa: E501
    deskmate: Deskmate,
) -> None:
    public = await deskmate.ask(app_mention(SALARY, HR_LEAD, MIXED, ts=T1))

    assert HR_ONLY not in public.text
    assert texts.PRIVATE_AVAILABLE in public.text
    await deskmate.click(public.buttons()[ACTION_PRIVATE], HR_LEAD, public, thread_ts=T1)

    (private,) = deskmate.ephemerals(HR_LEAD)
    assert private.args["channel"] == MIXED
    assert private.args["thread_ts"] == T1
    assert HR_ONLY in sources_of(private)
    thread = await deskmate.runtime.store.conversations.recent(f"slack:{MIXED}:{T1}", 5)
    assert len(thread) == 1  # the private answer never feeds the shared thread's memory


# the source, its file names and titles, and figures only it holds (Slack ts and Teams ids
# start with 170000, so the band minimum of L4 is not one of them)
RESTRICTED = ("hr-restricted", "salary-bands", "salary bands", "195000", "220000", "calibration")


def restricted_in(text: str) -> list[str]:
    return [marker for marker in RESTRICTED if marker in text.lower()]


async def test_someone_outside_hr_never_sees_a_restricted_document_anywhere_in_slack(
    deskmate: Deskmate,
) -> None:
    """The access matrix for Slack: a DM, a channel shared with an HR member, a follow-up in
    its thread, 👎 and its modal, "Ask a human", "Answer me privately", `/deskmate ask` and
    `/deskmate status`; everything Bob (not in HR) could see is checked."""
    await deskmate.ask(direct_message(SALARY, BOB, "D0BOB", T1))
    public = await deskmate.ask(app_mention(SALARY, HR_LEAD, MIXED, ts=T2))  # Bob listens
    await deskmate.ask(app_mention("and the L4 band maximum?", BOB, MIXED, T3, thread_ts=T2))
    buttons = public.buttons()
    await deskmate.rate(public, BOB, helpful=False, thread_ts=T2)
    for action in (ACTION_HANDOFF, ACTION_PRIVATE):
        await deskmate.click(buttons[action], BOB, public, thread_ts=T2)
    await deskmate.command(f"ask {SALARY}", user=BOB, channel=MIXED)
    await deskmate.command("status", user=BOB, channel=MIXED)
    seen_by_bob = posted(deskmate.api)

    hr_lead = await deskmate.ask(direct_message(SALARY, HR_LEAD, HR_DM, "1700000004.000400"))

    assert deskmate.api.calls_to("views.open")  # every view was really reached
    assert deskmate.api.calls_to("chat.postEphemeral", user=BOB)
    assert restricted_in(seen_by_bob) == []
    assert restricted_in(sources_of(hr_lead) + hr_lead.text)  # the check can fail


async def test_in_a_channel_of_hr_members_restricted_documents_may_be_cited(
    deskmate: Deskmate,
) -> None:
    reply = await deskmate.ask(app_mention(SALARY, HR_LEAD, HR_ROOM, ts=T1))

    assert HR_ONLY in sources_of(reply)
    assert ACTION_PRIVATE not in reply.buttons()


async def test_when_membership_cannot_be_read_only_documents_for_everyone_are_used(
    deskmate: Deskmate,
) -> None:
    reply = await deskmate.ask(app_mention(SALARY, HR_LEAD, SECRET, ts=T1))

    assert HR_ONLY not in reply.text


async def test_when_someone_joins_a_channel_its_members_are_read_again(
    deskmate: Deskmate,
) -> None:
    before = await deskmate.ask(app_mention(SALARY, HR_LEAD, HR_ROOM, ts=T1))
    deskmate.api.members[HR_ROOM].append(BOB)

    joined = {"type": "member_joined_channel", "user": BOB, "channel": HR_ROOM, "event_ts": T2}
    status, _ = await deskmate.slack.event(joined)
    await deskmate.settle()
    after = await deskmate.ask(app_mention(SALARY, HR_LEAD, HR_ROOM, ts=T3))

    assert status == 200
    assert HR_ONLY in sources_of(before)
    assert HR_ONLY not in after.text


async def test_people_listed_by_email_in_groups_are_recognised_by_their_slack_email(
    deskmate: Deskmate,
) -> None:
    deskmate.api.emails["U0DANA"] = "dana.hr@halyard.example"  # in groups.yaml under hr

    reply = await deskmate.ask(direct_message(SALARY, "U0DANA", "D0DANA", T1))

    assert HR_ONLY in sources_of(reply)


async def test_a_dm_uses_the_askers_own_groups(deskmate: Deskmate) -> None:
    hr_lead = await deskmate.ask(direct_message(SALARY, HR_LEAD, HR_DM, T1))
    alice = await deskmate.ask(direct_message(SALARY, ALICE, DM, T2))

    assert HR_ONLY in sources_of(hr_lead)
    assert HR_ONLY not in alice.text


# --- delivery: retries, duplicates, signatures ------------------------------------------------


async def test_a_retry_storm_gets_exactly_one_answer(deskmate: Deskmate) -> None:
    delivery = event_callback(app_mention(ESPP, ALICE, GENERAL, ts=T1), event_id="Ev0STORM")
    retries = [
        {"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"} for n in (1, 2, 3, 4)
    ]

    results = await asyncio.gather(
        deskmate.slack.event(delivery), *(deskmate.slack.event(delivery, h) for h in retries)
    )
    await deskmate.settle()

    assert [status for status, _ in results] == [200] * 5
    assert len(deskmate.api.calls_to("chat.startStream")) == 1
    assert len(deskmate.api.calls_to("chat.stopStream")) == 1


async def test_one_message_delivered_again_under_a_new_event_id_gets_one_answer(
    deskmate: Deskmate,
) -> None:
    mention = app_mention(ESPP, ALICE, GENERAL, ts=T1)

    for event_id in ("Ev0FIRST", "Ev0SECOND"):
        await deskmate.slack.event(event_callback(mention, event_id=event_id))
    await deskmate.settle()

    assert len(deskmate.api.calls_to("chat.startStream")) == 1


@pytest.mark.parametrize(
    "signing",
    [
        pytest.param({"secret": "not-the-signing-secret"}, id="wrong secret"),
        pytest.param({"timestamp": -600}, id="ten minutes old"),
        pytest.param({"timestamp": +600}, id="ten minutes ahead"),
        pytest.param({"unsigned": True}, id="missing"),
    ],
)
async def test_a_bad_missing_or_stale_signature_gets_401_and_reaches_no_handler(
    deskmate: Deskmate, signing: dict[str, Any]
) -> None:
    if "timestamp" in signing:  # seconds from now, taken when the request is sent
        signing = {"timestamp": int(time.time()) + signing["timestamp"]}
    status, _ = await deskmate.slack.event(app_mention(ESPP, ALICE, GENERAL, ts=T1), **signing)
    await deskmate.settle()

    assert status == 401
    assert deskmate.api.calls == []


# --- the slash command --------------------------------------------------------------------


async def test_slash_ask_answers_only_the_asker_with_a_button_to_share_it(
    deskmate: Deskmate,
) -> None:
    shown_at_once = await deskmate.command(f"ask {ESPP}")

    assert shown_at_once == texts.LOOKING_UP
    (private,) = deskmate.ephemerals(ALICE)
    assert private.args["channel"] == GENERAL
    assert "15% discount" in private.text
    assert deskmate.api.calls_to("chat.postMessage") == []

    await deskmate.click(private.buttons()[ACTION_SHARE], ALICE, private, ephemeral=True)

    (start,) = deskmate.api.calls_to("chat.startStream", channel=GENERAL)
    assert start.args.get("thread_ts") is None  # a new message in the channel
    assert start.args["recipient_user_id"] == ALICE
    shared = deskmate.api.message(GENERAL, start.ts)
    assert "15% discount" in shared.text
    assert f"<@{ALICE}> asked: {ESPP}" in shared.text
    assert deskmate.api.calls_to("response_url")[-1].args["delete_original"] is True


async def test_slash_ask_where_deskmate_is_not_a_member_answers_through_the_response_url(
    deskmate: Deskmate,
) -> None:
    deskmate.api.script("chat.postEphemeral", error("channel_not_found"))

    await deskmate.command(f"ask {ESPP}", channel="C0ELSEWHERE")

    (answer,) = deskmate.api.calls_to("response_url")
    assert answer.args["response_type"] == "ephemeral"
    assert "15% discount" in answer.text


async def test_slash_status_shows_the_sources_the_asker_may_see_and_the_last_run(
    deskmate: Deskmate,
) -> None:
    await deskmate.command("status")
    await deskmate.command("status", user=HR_LEAD, channel=HR_ROOM)

    (status,) = deskmate.ephemerals(ALICE)
    assert "documents" in status.text
    for source in ("eng-wiki", "hr"):
        assert f"`{source}`" in status.text
    assert HR_ONLY not in status.text  # not even how many documents it holds
    assert "Last index run: succeeded" in status.text
    (hr_status,) = deskmate.ephemerals(HR_LEAD)
    assert f"`{HR_ONLY}`" in hr_status.text


async def test_slash_help_lists_the_commands(deskmate: Deskmate) -> None:
    shown = await deskmate.command("help")

    assert "/deskmate ask" in shown
    assert "/deskmate reindex" in shown


async def test_only_admins_may_reindex(deskmate: Deskmate) -> None:
    runs_before = await deskmate.runtime.store.runs.recent(10)

    shown = await deskmate.command("reindex", user=ALICE)

    assert shown == texts.REINDEX_NOT_ADMIN
    assert await deskmate.runtime.store.runs.recent(10) == runs_before


async def test_an_admin_reindex_runs_in_the_background_and_reports_when_done(
    deskmate: Deskmate,
) -> None:
    await deskmate.command("reindex hr", user=ADMIN)
    await deskmate.services.reindexer.wait()

    (started,) = deskmate.ephemerals(ADMIN)
    assert texts.REINDEX_STARTED.format(what="hr") in started.text
    (report,) = await deskmate.api.wait_for("chat.postMessage", channel=ADMIN)
    assert report.text.startswith("Re-index finished")
    assert "0 added, 0 updated, 6 unchanged, 0 deleted, 0 failed" in report.text
    (run, *_) = await deskmate.runtime.store.runs.recent(1)
    assert (run.trigger, run.sources) == (f"slack:{ADMIN}", ("hr",))


async def test_a_reindex_while_one_is_running_is_refused_with_a_message(
    deskmate: Deskmate,
) -> None:
    async with deskmate.runtime.store.runs.exclusive():  # e.g. a run on another replica
        await deskmate.command("reindex", user=ADMIN)

    (refused,) = deskmate.ephemerals(ADMIN)
    assert texts.REINDEX_RUNNING in refused.text
    assert deskmate.api.calls_to("chat.postMessage", channel=ADMIN) == []


async def test_reindexing_an_unknown_source_names_the_known_ones(deskmate: Deskmate) -> None:
    await deskmate.command("reindex payroll", user=ADMIN)

    (refused,) = deskmate.ephemerals(ADMIN)
    assert "payroll" in refused.text
    assert "eng-wiki, hr, hr-restricted" in refused.text


# --- feedback and hand-off ----------------------------------------------------------------


async def test_a_helpful_click_is_stored_with_the_question_and_sources_and_thanked(
    deskmate: Deskmate,
) -> None:
    answer = await deskmate.ask(app_mention(ESPP, ALICE, GENERAL, ts=T1))
    before = REGISTRY.get_sample_value("deskmate_feedback_total", {"rating": "up"}) or 0.0

    await deskmate.rate(answer, BOB, helpful=True, thread_ts=T1)

    assert REGISTRY.get_sample_value("deskmate_feedback_total", {"rating": "up"}) == before + 1
    (liked,) = await deskmate.runtime.store.feedback.liked()
    assert (liked.platform, liked.user_id, liked.rating, liked.question) == ("slack", BOB, 1, ESPP)
    assert liked.sources[0]["title"] == "Benefits Guide 2026"
    (thanks,) = deskmate.ephemerals(BOB)
    assert thanks.args["thread_ts"] == T1
    assert texts.FEEDBACK_THANKS_UP in thanks.text


async def test_a_not_helpful_click_opens_a_modal_whose_comment_is_stored(
    deskmate: Deskmate,
) -> None:
    answer = await deskmate.ask(app_mention(ESPP, ALICE, GENERAL, ts=T1))

    await deskmate.rate(answer, ALICE, helpful=False, thread_ts=T1)
    (opened,) = deskmate.api.calls_to("views.open")
    comment = {COMMENT_BLOCK: {COMMENT_BLOCK: {"type": "plain_text_input", "value": "Outdated"}}}
    status, _ = await deskmate.slack.interaction(
        view_submission(opened.args["view"], ALICE, comment)
    )
    await deskmate.settle()

    assert status == 200
    assert await deskmate.runtime.store.feedback.counts() == {-1: 1}
    async with deskmate.runtime.store.pool.connection() as conn:
        cur = await conn.execute("SELECT rating, comment, question FROM feedback")
        assert await cur.fetchall() == [(-1, "Outdated", ESPP)]
    thanks = [c.text.strip() for c in deskmate.ephemerals(ALICE)]
    assert thanks == [texts.FEEDBACK_THANKS_DOWN, texts.FEEDBACK_COMMENT_THANKS]


async def test_the_plain_buttons_of_answers_posted_before_feedback_buttons_still_count(
    deskmate: Deskmate,
) -> None:
    answer = await deskmate.ask(app_mention(ESPP, ALICE, GENERAL, ts=T1))
    value = action_value(answer_id_of(answer))
    old_up = {"action_id": ACTION_HELPFUL, "text": {"type": "plain_text", "text": "👍"}}
    old_down = {"action_id": ACTION_NOT_HELPFUL, "text": {"type": "plain_text", "text": "👎"}}

    await deskmate.click(old_up | {"value": value}, BOB, answer, thread_ts=T1)
    await deskmate.click(old_down | {"value": value}, ALICE, answer, thread_ts=T1)

    assert await deskmate.runtime.store.feedback.counts() == {1: 1, -1: 1}
    assert deskmate.api.calls_to("views.open")  # 👎 still asks for a comment


async def test_ask_a_human_posts_the_question_in_the_help_channel_with_a_link(
    deskmate: Deskmate,
) -> None:
    question = "What is the capital of Peru?"
    answer = await deskmate.ask(app_mention(question, ALICE, GENERAL, ts=T1))
    assert texts.DONT_KNOW in answer.text
    assert "*Closest sources*" in sources_of(answer)

    await deskmate.click(answer.buttons()[ACTION_HANDOFF], ALICE, answer, thread_ts=T1)

    (handed,) = deskmate.api.calls_to("chat.postMessage", channel="it-help")
    assert f"<@{ALICE}>" in handed.text
    assert question in handed.text
    assert f"https://halyard.slack.com/archives/{GENERAL}/p" in handed.text
    (told,) = deskmate.ephemerals(ALICE)
    assert texts.HANDOFF_SENT.format(contact="#it-help") in told.text


async def test_ask_a_human_mentions_the_sources_user_group_in_the_thread(
    deskmate: Deskmate,
) -> None:
    answer = await deskmate.ask(app_mention(ESPP, ALICE, GENERAL, ts=T1))

    await deskmate.click(answer.buttons()[ACTION_HANDOFF], ALICE, answer, thread_ts=T1)

    mention = deskmate.api.calls_to("chat.postMessage", channel=GENERAL)[-1]
    assert mention.args["thread_ts"] == T1
    assert mention.text.startswith("<!subteam^S0HRTEAM>, could you help <@U0ALICE>")


# --- no silent failures, Slack's limits -------------------------------------------------------


async def test_when_slack_rejects_the_answer_the_asker_still_sees_an_error_with_a_reference(
    deskmate: Deskmate,
) -> None:
    deskmate.api.script("chat.stopStream", error("internal_error"), error("internal_error"))
    deskmate.api.script("chat.update", error("internal_error"))

    status, _ = await deskmate.slack.event(app_mention(ESPP, ALICE, GENERAL, ts=T1))
    await deskmate.settle()

    assert status == 200
    (apology,) = deskmate.api.calls_to("chat.postMessage", channel=GENERAL)
    assert apology.args["thread_ts"] == T1
    assert "Sorry, something went wrong" in apology.text
    assert "(reference: " in apology.text


async def test_a_rate_limited_call_is_retried_after_retry_after(deskmate: Deskmate) -> None:
    deskmate.api.script("chat.stopStream", rate_limited(retry_after=0))

    reply = await deskmate.ask(app_mention(ESPP, ALICE, GENERAL, ts=T1))

    assert len(deskmate.api.calls_to("chat.stopStream")) == 2
    assert "15% discount" in reply.text


async def test_someone_asking_too_fast_gets_a_polite_reply(
    sample_db: str, tmp_path: Path, api: FakeSlackApi
) -> None:
    settings = slack_settings(sample_db, tmp_path, api, rate_limit_per_minute=1)
    async with running(settings, api) as deskmate:
        first = await deskmate.ask(direct_message(ESPP, ALICE, DM, T1))
        second = await deskmate.ask(direct_message(ESPP, ALICE, DM, T2))

    assert "15% discount" in first.text
    assert texts.RATE_LIMITED in second.text


# --- with a language model: fast acks, streaming, long answers ---------------------------------


@pytest.fixture
async def with_llm(
    sample_db: str, tmp_path: Path, api: FakeSlackApi, fake_openai: tuple[FakeOpenAI, str]
) -> AsyncIterator[tuple[Deskmate, FakeOpenAI]]:
    llm, base_url = fake_openai
    settings = slack_settings(sample_db, tmp_path, api, openai_base_url=base_url, llm_timeout=5.0)
    async with running(settings, api) as deskmate:
        yield deskmate, llm


async def test_slack_is_acknowledged_at_once_however_long_the_answer_takes(
    with_llm: tuple[Deskmate, FakeOpenAI],
) -> None:
    deskmate, llm = with_llm
    llm.script(Reply("The ESPP discount is **15%** [1].", delay=1.5))

    started = time.perf_counter()
    status, _ = await deskmate.slack.event(app_mention(ESPP, ALICE, GENERAL, ts=T1))
    acked_after = time.perf_counter() - started
    await deskmate.settle()

    assert status == 200
    assert acked_after < 1.0
    assert (
        "The ESPP discount is **15%**"
        in deskmate.reply_to(app_mention(ESPP, ALICE, GENERAL, T1)).text
    )


async def test_a_streamed_answer_is_appended_at_a_throttled_pace_and_ends_with_its_sources(
    with_llm: tuple[Deskmate, FakeOpenAI],
) -> None:
    deskmate, llm = with_llm
    words = " ".join(f"word{i}" for i in range(200))
    llm.script(Reply(f"The ESPP discount is 15% [1]. {words}"))

    reply = await deskmate.ask(app_mention(ESPP, ALICE, GENERAL, ts=T1))

    (start,) = deskmate.api.calls_to("chat.startStream", channel=GENERAL)
    appends = deskmate.api.calls_to("chat.appendStream", channel=GENERAL, ts=start.ts)
    assert 1 <= len(appends) <= 2  # 200 streamed pieces, at most one append per 1.5 s
    streamed = "".join(a.args["markdown_text"] for a in appends)
    assert f"The ESPP discount is 15% [1]. {words}".startswith(streamed)  # pieces, in order
    (stop,) = deskmate.api.calls_to("chat.stopStream", channel=GENERAL, ts=start.ts)
    assert stop.feedback() is not None
    assert "word199" in reply.text
    assert reply.ts == start.ts
    assert "Benefits Guide 2026" in sources_of(reply)


async def test_with_streaming_turned_off_a_streamed_answer_updates_looking_it_up(
    sample_db: str, tmp_path: Path, api: FakeSlackApi, fake_openai: tuple[FakeOpenAI, str]
) -> None:
    llm, base_url = fake_openai
    settings = slack_settings(sample_db, tmp_path, api, openai_base_url=base_url, streaming=False)
    words = " ".join(f"word{i}" for i in range(200))
    llm.script(Reply(f"The ESPP discount is 15% [1]. {words}"))

    async with running(settings, api) as deskmate:
        reply = await deskmate.ask(app_mention(ESPP, ALICE, GENERAL, ts=T1))

    assert api.calls_to("chat.startStream") == []
    updates = api.calls_to("chat.update", channel=GENERAL)
    assert 2 <= len(updates) <= 3  # 200 streamed pieces, at most one update per 1.5 s
    assert updates[0].feedback() is None
    assert "word199" in reply.text
    assert reply.feedback() is not None


async def test_a_long_answer_is_split_across_messages_instead_of_failing(
    with_llm: tuple[Deskmate, FakeOpenAI],
) -> None:
    deskmate, llm = with_llm
    paragraphs = "\n\n".join(f"Paragraph {i}: " + "the ESPP detail " * 40 for i in range(40))
    llm.script(Reply(f"The ESPP discount is 15% [1].\n\n{paragraphs}"))

    first = await deskmate.ask(app_mention(ESPP, ALICE, GENERAL, ts=T1))

    more = deskmate.api.calls_to("chat.postMessage", channel=GENERAL)
    assert more, "the rest of the answer follows in the thread"
    assert all(m.args["thread_ts"] == T1 for m in more)
    for message in [first, *more]:
        assert sum(len(b["text"]) for b in message.blocks_of("markdown")) <= 12_000
        assert len(message.args["blocks"]) <= 50
    assert "Paragraph 39" in more[-1].text
    assert more[-1].feedback() is not None
    assert first.feedback() is None


# --- Socket Mode ------------------------------------------------------------------------------


async def test_socket_mode_answers_without_a_public_endpoint(
    sample_db: str, tmp_path: Path, api: FakeSlackApi
) -> None:
    settings = slack_settings(
        sample_db, tmp_path, api, slack_signing_secret=None, slack_app_token=APP_TOKEN
    )
    async with running(settings, api) as deskmate:
        await api.wait_for("apps.connections.open")
        envelope = {
            "envelope_id": "57d6a792-4d35-4d0b-b6aa-3361493e1caf",
            "type": "events_api",
            "accepts_response_payload": False,
            "payload": event_callback(app_mention(ESPP, ALICE, GENERAL, ts=T1)),
        }
        await api.push(envelope)
        await api.wait_for("chat.stopStream", channel=GENERAL)
        await deskmate.settle()
        status, _ = await deskmate.slack.event(app_mention(ESPP, ALICE, GENERAL, ts=T2))

    assert status == 404  # no HTTP endpoint without a signing secret
    assert {"envelope_id": envelope["envelope_id"]}.items() <= api.socket_acks[0].items()
    assert "15% discount" in deskmate.reply_to(app_mention(ESPP, ALICE, GENERAL, T1)).text


# --- operations ---------------------------------------------------------------------------


async def test_a_scheduled_reindex_with_failures_is_reported_in_the_admin_channel(
    empty_db: str, tmp_path: Path, api: FakeSlackApi
) -> None:
    sources = exports_with_a_broken_file(tmp_path)
    settings = slack_settings(
        empty_db, tmp_path, api, sources_file=sources, admin_channel="C0ADMINS"
    )

    async with running(settings, api) as deskmate:
        await deskmate.services.scheduled_reindex()
        (report,) = api.calls_to("chat.postMessage", channel="C0ADMINS")
        (tmp_path / "exports" / "broken.pdf").unlink()
        await deskmate.services.scheduled_reindex()

    assert "broken.pdf" in report.args["text"]
    assert "1 failed" in report.args["text"]
    assert len(api.calls_to("chat.postMessage", channel="C0ADMINS")) == 1  # clean runs: quiet


async def test_slash_admin_answers_an_admin_alone_with_a_one_time_sign_in_link(
    deskmate: Deskmate,
) -> None:
    await deskmate.command("admin", user=ADMIN)

    (reply,) = deskmate.ephemerals(ADMIN)
    link = re.search(r"http://localhost:\d+/admin/sign-in/\S+", reply.text)
    assert link is not None
    token = link[0].rsplit("/", 1)[1]
    assert await deskmate.services.sign_ins.spend(token) == ADMIN
    assert await deskmate.services.sign_ins.spend(token) is None  # once only
    assert not deskmate.api.calls_to("chat.postMessage")  # never in the channel


async def test_slash_admin_is_refused_to_someone_who_is_not_an_admin(deskmate: Deskmate) -> None:
    shown = await deskmate.command("admin", user=ALICE)

    assert shown == texts.ADMIN_NOT_ADMIN
    assert not deskmate.ephemerals(ALICE)


async def test_slash_digest_here_says_that_slacks_admin_channel_is_a_setting(
    deskmate: Deskmate,
) -> None:
    shown = await deskmate.command("digest here", user=ADMIN)

    assert shown == texts.DIGEST_SLACK_CHANNEL


async def test_the_weekly_digest_tells_the_admin_channel_the_gaps_with_owners_once_per_week(
    sample_db: str, tmp_path: Path, api: FakeSlackApi
) -> None:
    settings = slack_settings(sample_db, tmp_path, api, admin_channel="C0ADMINS")
    async with running(settings, api) as deskmate:
        for text in PARKING:
            await deskmate.command(f"ask {text}", user=ALICE)
        assert await deskmate.services.weekly_digest()
        again = await deskmate.services.weekly_digest()  # another replica's run of the job

    (digest,) = api.calls_to("chat.postMessage", channel="C0ADMINS")
    assert digest.text.startswith("Deskmate this week: 3 questions, 0% answered")
    assert "3 questions (+3 on the week before)" in digest.text
    assert "park" in digest.text
    assert "owner: " in digest.text
    assert again is False
