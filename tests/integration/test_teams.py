"""The Teams adapter, entered over HTTP: real Bot Framework Activity JSON is posted to
`/api/messages`, and a fake Bot Connector on loopback (the activities' `serviceUrl`) records
what Deskmate sends back and checks streamed replies as Teams does. Answers come from the
sample knowledge base (without an LLM unless a test says otherwise)."""

from __future__ import annotations

import itertools
import json
import logging
import re
import socket
import time
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from botframework.connector.auth import ChannelValidation
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from PIL import Image
from prometheus_client import REGISTRY
from typer.testing import CliRunner

from adapters.chat.services import Services
from adapters.cli import app as cli
from adapters.runtime import open_runtime
from adapters.server import SERVICES, build_app
from bot import texts
from bot.errors import ConfigError
from tests.conftest import exports_with_a_broken_file, llm_settings, make_settings
from tests.fakes.bot_connector import OPENID_PATH, Call, FakeBotConnector, serve
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.openai_server import Reply as ModelReply
from tests.fakes.slack_api import BOT_TOKEN, SIGNING_SECRET, FakeSlackApi
from tests.integration.test_insights import PARKING

BOT = {"id": "28:deskmate-bot-id", "name": "Deskmate"}
# Dana is in the `hr` group of examples/groups.yaml (by AAD object id) and a Deskmate admin;
# Pat is in no group.
HR_LEAD = {"id": "29:dana", "name": "Dana", "aadObjectId": "3f2b8c1e-6d4a-4e0b-9a57-2c8d1f6e9b30"}
PAT = {"id": "29:pat", "name": "Pat", "aadObjectId": "5c0ffee0-0000-4000-8000-000000000001"}
TENANT = "72f988bf-0000-4000-8000-000000000000"
TEAM = "19:general@thread.tacv2"
GROUP_CHAT = "19:lunch-plans@thread.v2"
MENTION = "<at>Deskmate</at>"
APP_ID = "00000000-0000-4000-8000-0000000000b0"
BENEFITS = "Benefits Guide 2026"


def _member(account: dict[str, str], email: str) -> dict[str, str]:
    return {**account, "email": email, "userPrincipalName": email}


def activity(
    service_url: str, conversation: dict[str, Any], sender: dict[str, str], **fields: Any
) -> dict[str, Any]:
    """A Bot Framework activity as Teams sends it to the bot."""
    return {
        "type": "message",
        "id": str(next(_ACTIVITY_IDS)),
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": sender,
        "recipient": BOT,
        "conversation": {"tenantId": TENANT, **conversation},
        "channelData": {"tenant": {"id": TENANT}},
        "locale": "en-US",
        **fields,
    }


def personal(service_url: str, text: str, sender: dict[str, str] = PAT) -> dict[str, Any]:
    conversation = {"id": f"a:personal-{sender['id']}", "conversationType": "personal"}
    return activity(service_url, conversation, sender, text=text)


_ACTIVITY_IDS = itertools.count(1_700_000_000_001)


@dataclass
class Teams:
    """The running app, the fake Bot Connector, and ways to send Teams activities."""

    client: TestClient[Any, Any]
    connector: FakeBotConnector
    service_url: str
    services: Services

    async def post(self, activity: dict[str, Any]) -> ClientResponse:
        return await self.client.post("/api/messages", json=activity)

    def activity(
        self, conversation: dict[str, Any], sender: dict[str, str], **fields: Any
    ) -> dict[str, Any]:
        return activity(self.service_url, conversation, sender, **fields)

    def personal(self, text: str, sender: dict[str, str] = PAT) -> dict[str, Any]:
        return personal(self.service_url, text, sender)

    def channel(
        self, text: str, sender: dict[str, str] = PAT, *, mention: bool = True
    ) -> dict[str, Any]:
        """A new post in the team's General channel; its id starts the reply chain."""
        post_id = str(next(_ACTIVITY_IDS))
        conversation = {
            "id": f"{TEAM};messageid={post_id}",
            "conversationType": "channel",
            "isGroup": True,
        }
        return self.activity(
            conversation,
            sender,
            id=post_id,
            text=f"{MENTION} {text}" if mention else text,
            entities=[_mention()] if mention else [],
            channelData={
                "tenant": {"id": TENANT},
                "team": {"id": TEAM, "name": "Halyard"},
                "channel": {"id": TEAM, "name": "General"},
            },
        )

    def group_chat(self, text: str, sender: dict[str, str] = PAT) -> dict[str, Any]:
        conversation = {"id": GROUP_CHAT, "conversationType": "groupChat", "isGroup": True}
        return self.activity(conversation, sender, text=f"{MENTION} {text}", entities=[_mention()])

    def press(
        self, question: dict[str, Any], button: dict[str, Any], sender: dict[str, str]
    ) -> dict[str, Any]:
        """An Action.Execute press on a card that answered `question`."""
        return self.activity(
            question["conversation"],
            sender,
            type="invoke",
            name="adaptiveCard/action",
            channelData=question["channelData"],
            value={
                "action": {
                    "type": "Action.Execute",
                    "verb": button["verb"],
                    "data": button["data"],
                },
                "trigger": "manual",
            },
        )

    async def ask(self, question: dict[str, Any]) -> Call:
        """Post a question and wait for the reply that follows it (a card or a short text)."""
        before = len(self.connector.messages())
        response = await self.post(question)
        assert response.status in (200, 201), await response.text()
        await self.connector.wait_for(lambda c: len(c.messages()) > before)
        await self.services.idle()  # what follows the reply (remembering its answer) is done
        return self.connector.messages()[before]


def _mention() -> dict[str, Any]:
    return {"type": "mention", "text": MENTION, "mentioned": BOT}


@asynccontextmanager
async def running_teams(
    sample_db: str, tmp_path: Path, *, llm_url: str | None = None, **overrides: object
) -> AsyncIterator[Teams]:
    admins = HR_LEAD["aadObjectId"]
    settings = (
        llm_settings(sample_db, tmp_path, llm_url, admins=admins, **overrides)
        if llm_url
        else make_settings(sample_db, tmp_path, admins=admins, **overrides)
    )
    connector = FakeBotConnector(
        members={
            TEAM: [
                _member(HR_LEAD, "dana.hr@halyard.example"),
                _member(PAT, "pat@halyard.example"),
            ],
            GROUP_CHAT: [_member(HR_LEAD, "dana.hr@halyard.example")],
            f"a:personal-{HR_LEAD['id']}": [_member(HR_LEAD, "dana.hr@halyard.example")],
            f"a:personal-{PAT['id']}": [_member(PAT, "pat@halyard.example")],
        }
    )
    async with open_runtime(settings) as runtime:
        with serve(connector) as fake:
            app = build_app(runtime)
            async with TestClient(TestServer(app)) as client:
                yield Teams(client, connector, fake.url, app[SERVICES])
                await app[SERVICES].drain(10)


@pytest.fixture
async def teams(sample_db: str, tmp_path: Path) -> AsyncIterator[Teams]:
    async with running_teams(sample_db, tmp_path) as running:
        yield running


def _card_text(call: Call) -> str:
    card = call.card
    assert card is not None, f"expected an Adaptive Card, got {call.body}"
    return "\n".join(block.get("text", "") for block in card["body"])


def _shown(call: Call) -> str:
    """What a person sees of a message: its text, its citations, and a card if it has one."""
    citations = (call.ai_message or {}).get("citation") or []
    parts = [str(call.body.get("text") or ""), json.dumps(citations, ensure_ascii=False)]
    if call.card is not None:
        parts.append(_card_text(call))
    return "\n".join(parts)


async def _answer_id(teams: Teams, reply: Call) -> str:
    """The answer a message shows, as Deskmate remembers it for Teams' feedback."""
    conversation = reply.path.split("/")[3].split(";")[0]
    assert reply.response_id is not None
    found = await teams.services.runtime.store.feedback.answer_of_message(
        "teams", conversation, reply.response_id
    )
    assert found is not None, f"no answer remembered for {reply.path}"
    return found


def _feedback_invoke(
    teams: Teams, question: dict[str, Any], answer: Call, sender: dict[str, str], **value: Any
) -> dict[str, Any]:
    """Teams' own 👍 / 👎 on `answer`: a `message/submitAction` invoke naming its message."""
    return teams.activity(
        question["conversation"],
        sender,
        type="invoke",
        name="message/submitAction",
        replyToId=answer.response_id,
        channelData=question["channelData"],
        value={"actionName": "feedback", "actionValue": value},
    )


def _button(call: Call, verb: str) -> dict[str, Any]:
    assert call.card is not None
    return next(a for a in call.card["actions"] if a["verb"] == verb)


# --- questions and answers ----------------------------------------------------------------


async def test_a_personal_message_is_answered_as_an_ai_message_with_native_citations(
    teams: Teams,
) -> None:
    question = teams.personal("What is the ESPP discount?")

    reply = await teams.ask(question)

    assert "15%" in reply.body["text"]
    assert reply.body["textFormat"] == "markdown"
    assert reply.path == (
        f"/v3/conversations/{question['conversation']['id']}/activities/{question['id']}"
    )
    label = reply.ai_message
    assert label is not None
    assert (label["@type"], label["additionalType"]) == ("Message", ["AIGeneratedContent"])
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", reply.body["text"])}
    claims = label["citation"]
    assert {c["position"] for c in claims} == markers  # one citation per marker, no other
    benefits = next(c["appearance"] for c in claims if c["appearance"]["name"] == BENEFITS)
    assert benefits["url"] == "https://hr.halyard.example/exports/benefits-guide.docx"
    assert benefits["image"]["name"] == "Microsoft Word"
    assert all(len(c["appearance"]["name"]) <= 80 for c in claims)
    assert all(len(c["appearance"]["abstract"]) <= 160 for c in claims)
    assert len(claims) <= 20
    assert reply.body["channelData"]["feedbackLoop"] == {"type": "default"}
    assert reply.card is None  # nothing a card would add


async def test_a_1_1_answer_starts_with_an_informative_update_and_ends_the_stream(
    teams: Teams,
) -> None:
    reply = await teams.ask(teams.personal("How many vacation days do I get per year?"))

    informative, *_ = [t for t in teams.connector.typing() if t.stream_info]
    assert informative.stream_info == {
        "type": "streaminfo",
        "streamType": "informative",
        "streamSequence": 1,
    }
    assert informative.body["text"] == texts.TEAMS_SEARCHING
    assert reply.stream_info == {
        "type": "streaminfo",
        "streamId": informative.response_id,
        "streamType": "final",
    }
    assert reply.ai_message is not None


STREAM_INTERVAL = 0.2  # seconds; Teams needs 1.5, the tests shorten it


async def test_a_1_1_answer_from_a_model_streams_the_text_so_far_then_ends_with_a_final_message(
    sample_db: str, tmp_path: Path, fake_openai: tuple[FakeOpenAI, str]
) -> None:
    llm, base_url = fake_openai
    words = " ".join(f"word{i}" for i in range(60))
    llm.script(ModelReply(f"The ESPP discount is 15% [1]. {words}", word_delay=0.02))
    async with running_teams(
        sample_db, tmp_path, llm_url=base_url, stream_interval_s=STREAM_INTERVAL, llm_timeout=10.0
    ) as teams:
        reply = await teams.ask(teams.personal("What is the ESPP discount?"))
        streamed = [t for t in teams.connector.typing() if t.stream_info]

    informative, *updates = streamed
    assert len(updates) >= 2
    stream_id = informative.response_id
    assert all(u.stream_info["streamId"] == stream_id for u in updates)  # type: ignore[index]
    assert all(u.stream_info["streamType"] == "streaming" for u in updates)  # type: ignore[index]
    sequence = [t.stream_info["streamSequence"] for t in streamed]  # type: ignore[index]
    assert sequence == list(range(1, len(streamed) + 1))
    texts_so_far = [str(u.body["text"]) for u in updates]
    assert all(b.startswith(a) for a, b in itertools.pairwise(texts_so_far))
    gaps = [b.at - a.at for a, b in itertools.pairwise(updates)]
    assert min(gaps) >= STREAM_INTERVAL * 0.9  # paced, never a burst
    assert reply.stream_info == {"type": "streaminfo", "streamId": stream_id, "streamType": "final"}
    assert "word59" in reply.body["text"]
    label = reply.ai_message
    assert label is not None
    assert label["additionalType"] == ["AIGeneratedContent"]
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", reply.body["text"])}
    assert {c["position"] for c in label["citation"]} == markers
    assert 1 in markers
    assert reply.body["channelData"]["feedbackLoop"] == {"type": "default"}


async def test_in_a_group_chat_an_answer_from_a_model_is_one_final_message(
    sample_db: str, tmp_path: Path, fake_openai: tuple[FakeOpenAI, str]
) -> None:
    llm, base_url = fake_openai
    llm.script(ModelReply("The ESPP discount is 15% [1]. " * 20, word_delay=0.01))
    async with running_teams(
        sample_db, tmp_path, llm_url=base_url, stream_interval_s=STREAM_INTERVAL, llm_timeout=10.0
    ) as teams:
        reply = await teams.ask(teams.group_chat("What is the ESPP discount?"))
        streamed = [t for t in teams.connector.typing() if t.stream_info]

    assert streamed == []
    assert reply.stream_info is None
    assert reply.ai_message is not None
    assert len(teams.connector.messages()) == 1


async def test_in_a_channel_the_mention_is_stripped_and_the_reply_stays_in_the_thread(
    teams: Teams,
) -> None:
    question = teams.channel("What is the ESPP discount?")

    reply = await teams.ask(question)

    assert reply.path == (
        f"/v3/conversations/{question['conversation']['id']}/activities/{question['id']}"
    )
    assert "15%" in reply.body["text"]
    assert reply.stream_info is None  # Teams streams only in 1:1 chats
    assert [t for t in teams.connector.typing() if t.stream_info] == []
    assert reply.ai_message is not None
    stored = await teams.services.runtime.store.feedback.answer(await _answer_id(teams, reply))
    assert stored is not None
    assert stored.question == "What is the ESPP discount?"


async def test_other_peoples_mentions_keep_their_names_in_the_question(teams: Teams) -> None:
    dana = {"type": "mention", "text": "<at>Dana</at>", "mentioned": HR_LEAD}
    question = teams.group_chat("x")
    question["text"] = f"{MENTION} can <at>Dana</at> approve my travel&nbsp;expenses?"
    question["entities"].append(dana)

    reply = await teams.ask(question)

    stored = await teams.services.runtime.store.feedback.answer(await _answer_id(teams, reply))
    assert stored is not None
    assert stored.question == "can Dana approve my travel expenses?"


async def test_a_question_with_an_image_says_the_image_was_not_read(teams: Teams) -> None:
    question = teams.personal("How do I connect to the VPN?")
    question["attachments"] = [
        {"contentType": "image/png", "contentUrl": "https://smba.example/vpn-error.png"},
        {"contentType": "text/html", "content": "<p>How do I connect to the VPN?</p>"},
    ]
    formatted_only = teams.personal("How do I connect to the VPN?")
    formatted_only["attachments"] = [question["attachments"][1]]

    reply = await teams.ask(question)
    plain = await teams.ask(formatted_only)

    assert texts.ATTACHMENTS_IGNORED in reply.body["text"]
    assert reply.ai_message is not None  # answered from the text all the same
    assert texts.ATTACHMENTS_IGNORED not in plain.body["text"]  # Teams' HTML copy is no file


async def test_a_channel_message_without_a_mention_is_left_alone(teams: Teams) -> None:
    response = await teams.post(teams.channel("What is the ESPP discount?", mention=False))

    assert response.status == 201
    await teams.services.drain(10)
    assert teams.connector.recorded(lambda c: c.method != "GET") == []


async def test_a_question_nobody_documented_gets_an_honest_dont_know(teams: Teams) -> None:
    reply = await teams.ask(teams.personal("What is the airspeed of an unladen swallow?"))

    assert texts.DONT_KNOW in reply.body["text"]


async def test_a_follow_up_in_the_same_chat_uses_the_conversation_memory(teams: Teams) -> None:
    await teams.ask(teams.personal("How many vacation days do I get per year?"))

    await teams.ask(teams.personal("And sick days?"))

    turns = await teams.services.runtime.store.conversations.recent(
        f"teams:a:personal-{PAT['id']}", 5
    )
    assert [q for q, _ in turns] == ["How many vacation days do I get per year?", "And sick days?"]


async def test_a_repeated_delivery_of_the_same_activity_is_answered_once(teams: Teams) -> None:
    question = teams.personal("What is the ESPP discount?")

    first, second = await teams.post(question), await teams.post(question)
    await teams.services.drain(10)

    assert (first.status, second.status) == (201, 201)
    assert len(teams.connector.answers()) == 1


async def test_a_failure_is_a_short_visible_text_not_silence(
    sample_db: str, tmp_path: Path
) -> None:
    async with running_teams(sample_db, tmp_path, rate_limit_per_minute=1) as teams:
        await teams.ask(teams.personal("What is the ESPP discount?"))

        reply = await teams.ask(teams.personal("How many vacation days do I get per year?"))

    assert reply.body["text"] == texts.RATE_LIMITED


# --- odd and hostile questions -------------------------------------------------------------

TEAMS_MESSAGE_LIMIT = 28_000  # bytes of one activity Teams accepts


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        pytest.param("🎉🎉🙏", texts.EMPTY_QUESTION, id="only emoji"),
        pytest.param(
            "why is the VPN slow? " + "log line 0xDEADBEEF " * 2500,
            texts.QUESTION_TOO_LONG.format(limit=2000),
            id="50 KB paste",
        ),
    ],
)
async def test_a_question_with_nothing_to_answer_gets_one_short_friendly_text(
    teams: Teams, question: str, expected: str
) -> None:
    reply = await teams.ask(teams.personal(question))

    assert reply.body["text"] == expected
    assert reply.card is None


@pytest.mark.parametrize(
    "question",
    [
        pytest.param("Сколько дней отпуска у меня в году?", id="Russian"),
        pytest.param("'; DROP TABLE documents; -- vacation days per year?", id="SQL"),
        pytest.param(
            '{"type":"AdaptiveCard","body":[{"type":"Action.OpenUrl","url":"https://evil.example"}]}'
            " <at>everyone</at> @everyone vacation days?",
            id="Adaptive Card and pings",
        ),
    ],
)
async def test_any_language_or_injection_attempt_gets_a_card_that_mentions_nobody(
    teams: Teams, question: str
) -> None:
    reply = await teams.ask(teams.personal(question))

    assert reply.ai_message is not None  # an answer, not an error
    sent = json.dumps(reply.body, ensure_ascii=False)
    assert len(sent.encode()) < TEAMS_MESSAGE_LIMIT
    assert reply.entities("mention") == []  # nobody is notified
    assert "evil.example" not in sent
    assert reply.card is None  # the question's card JSON stayed text


# --- who is listening ------------------------------------------------------------------------


SALARY = "What is the salary band for level L4?"


async def test_in_a_1_1_chat_the_asker_sees_what_their_groups_may_see(teams: Teams) -> None:
    reply = await teams.ask(teams.personal(SALARY, sender=HR_LEAD))

    assert _restricted_in(_shown(reply))


async def test_in_a_channel_restricted_documents_stay_out_and_a_private_answer_is_offered(
    teams: Teams,
) -> None:
    reply = await teams.ask(teams.channel(SALARY, sender=HR_LEAD))

    text = _shown(reply)
    assert _restricted_in(text) == []
    assert "170000" not in text
    assert texts.PRIVATE_AVAILABLE in _card_text(reply)  # the offer is the one card
    assert _button(reply, "deskmate.private")["title"] == texts.BUTTON_PRIVATE
    assert reply.ai_message is not None


async def _redrawn(response: ClientResponse) -> Call:
    """The card an Action.Execute response draws in place of the pressed one."""
    invoke = await response.json()
    return Call("PUT", "", {"attachments": [_attachment(invoke["value"])]}, None)


def _attachment(card: dict[str, Any]) -> dict[str, Any]:
    return {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}


async def test_answer_me_privately_answers_in_a_new_1_1_chat(teams: Teams) -> None:
    question = teams.channel(SALARY, sender=HR_LEAD)
    offer = await teams.ask(question)

    response = await teams.post(teams.press(question, _button(offer, "deskmate.private"), HR_LEAD))

    assert response.status == 200
    invoke = await response.json()
    assert texts.TEAMS_PRIVATE_SENT in json.dumps(invoke["value"], ensure_ascii=False)
    opened = teams.connector.recorded(lambda c: c.path == "/v3/conversations")
    assert opened[0].body["members"][0]["id"] == HR_LEAD["id"]
    in_private = f"/v3/conversations/{opened[0].response_id}/"
    await teams.connector.wait_for(
        lambda c: any(m.path.startswith(in_private) for m in c.messages())
    )
    private = next(m for m in teams.connector.messages() if m.path.startswith(in_private))
    assert _restricted_in(_shown(private))
    assert private.stream_info is not None  # a 1:1 chat: streamed
    assert _card_text(await _redrawn(response)).count(texts.PRIVATE_AVAILABLE) == 1


# the source, its file names and titles, and figures only it holds (Slack ts and Teams ids
# start with 170000, so the band minimum of L4 is not one of them)
RESTRICTED = ("hr-restricted", "salary-bands", "salary bands", "195000", "220000", "calibration")


def _restricted_in(text: str) -> list[str]:
    return [marker for marker in RESTRICTED if marker in text.lower()]


async def test_someone_outside_hr_never_sees_a_restricted_document_anywhere_in_teams(
    teams: Teams,
) -> None:
    """The access matrix for Teams: a 1:1 chat, a channel shared with an HR member, a
    follow-up there, the private-answer offer pressed by Pat, feedback, `status`."""
    await teams.ask(teams.personal(SALARY))
    question = teams.channel(SALARY, sender=HR_LEAD)  # Pat is in the team
    offer = await teams.ask(question)
    follow_up = teams.activity(
        question["conversation"],
        PAT,
        text=f"{MENTION} and the L4 maximum?",
        entities=[_mention()],
        channelData=question["channelData"],
    )
    await teams.ask(follow_up)
    redrawn = []
    pressed = await teams.post(teams.press(question, _button(offer, "deskmate.private"), PAT))
    assert pressed.status == 200
    redrawn.append(await pressed.json())
    feedback = _feedback_invoke(teams, question, offer, PAT, reaction="dislike")
    assert (await teams.post(feedback)).status == 200
    await teams.connector.wait_for(lambda c: len(c.messages()) >= 4)  # the private answer too
    await teams.ask(teams.channel("status"))
    await teams.services.idle()
    seen_by_pat = json.dumps([c.body for c in teams.connector.calls] + redrawn, ensure_ascii=False)

    dana = await teams.ask(teams.personal(SALARY, sender=HR_LEAD))

    assert _restricted_in(seen_by_pat) == []
    assert await teams.services.runtime.store.feedback.counts() == {-1: 1}  # all were reached
    assert _restricted_in(_shown(dana))  # the check can fail


async def test_a_group_chat_of_hr_members_may_hear_hr_documents(teams: Teams) -> None:
    reply = await teams.ask(teams.group_chat(SALARY, sender=HR_LEAD))

    assert _restricted_in(_shown(reply))


async def test_when_members_cannot_be_read_only_documents_for_everyone_are_used(
    teams: Teams,
) -> None:
    teams.connector.fail_members = True

    reply = await teams.ask(teams.group_chat(SALARY, sender=HR_LEAD))

    assert _restricted_in(_shown(reply)) == []


# --- feedback and card buttons -------------------------------------------------------------


def _legacy_button(answer_id: str, rating: int) -> dict[str, Any]:
    """A 👍 / 👎 button of the answer cards Deskmate sent before answers were AI messages."""
    return {
        "verb": "deskmate.feedback",
        "data": {"deskmate": "feedback", "answer_id": answer_id, "rating": rating},
    }


async def test_teams_own_thumbs_down_with_a_comment_is_stored_and_counted_like_slacks(
    teams: Teams,
) -> None:
    question = teams.personal("What is the ESPP discount?")
    reply = await teams.ask(question)
    before = REGISTRY.get_sample_value("deskmate_feedback_total", {"rating": "down"}) or 0.0
    comment = json.dumps({"feedbackText": "It's 15% of the lower price, say so"})

    response = await teams.post(
        _feedback_invoke(teams, question, reply, PAT, reaction="dislike", feedback=comment)
    )

    assert response.status == 200
    assert await response.read() == b""  # Teams expects an empty body
    after = REGISTRY.get_sample_value("deskmate_feedback_total", {"rating": "down"})
    assert after == before + 1
    async with teams.services.runtime.store.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT platform, user_id, rating, comment, question FROM feedback"
        )
        assert await cur.fetchall() == [
            (
                "teams",
                PAT["aadObjectId"],
                -1,
                "It's 15% of the lower price, say so",
                "What is the ESPP discount?",
            )
        ]


async def test_teams_own_thumbs_up_is_stored_as_liked(teams: Teams) -> None:
    question = teams.personal("What is the ESPP discount?")
    reply = await teams.ask(question)

    response = await teams.post(_feedback_invoke(teams, question, reply, PAT, reaction="like"))

    assert response.status == 200
    liked = await teams.services.runtime.store.feedback.liked()
    assert [(f.platform, f.user_id, f.question) for f in liked] == [
        ("teams", PAT["aadObjectId"], "What is the ESPP discount?")
    ]


async def test_feedback_on_a_message_that_is_not_an_answer_is_answered_and_ignored(
    teams: Teams,
) -> None:
    question = teams.personal("What is the ESPP discount?")
    await teams.ask(question)
    stray = teams.activity(
        question["conversation"],
        PAT,
        type="invoke",
        name="message/submitAction",
        replyToId="not-one-of-ours",
        value={"actionName": "feedback", "actionValue": {"reaction": "like"}},
    )

    response = await teams.post(stray)

    assert response.status == 200
    assert await teams.services.runtime.store.feedback.counts() == {}


async def test_a_legacy_answer_cards_thumbs_down_by_action_execute_is_stored_and_redrawn(
    teams: Teams,
) -> None:
    question = teams.personal("What is the ESPP discount?")
    reply = await teams.ask(question)
    down = _legacy_button(await _answer_id(teams, reply), -1)

    response = await teams.post(teams.press(question, down, PAT))

    assert response.status == 200
    invoke = await response.json()
    assert invoke["statusCode"] == 200
    assert invoke["type"] == "application/vnd.microsoft.card.adaptive"
    shown = "\n".join(b.get("text", "") for b in invoke["value"]["body"])
    assert texts.FEEDBACK_THANKS_DOWN in shown
    assert "15%" in shown  # the same answer, redrawn
    assert await teams.services.runtime.store.feedback.counts() == {-1: 1}


async def test_a_legacy_answer_cards_thumbs_up_by_action_submit_is_stored_and_updated(
    teams: Teams,
) -> None:
    question = teams.personal("What is the ESPP discount?")
    reply = await teams.ask(question)
    up = _legacy_button(await _answer_id(teams, reply), 1)
    card_id = "reply-card-1"  # Teams sends the card's activity id as replyToId
    submit = teams.activity(question["conversation"], PAT, replyToId=card_id, value=up["data"])

    response = await teams.post(submit)

    assert response.status == 201
    [update] = teams.connector.updates()
    assert update.path.endswith(f"/activities/{card_id}")
    assert texts.FEEDBACK_THANKS_UP in _card_text(update)
    liked = await teams.services.runtime.store.feedback.liked()
    assert [(f.platform, f.user_id, f.question) for f in liked] == [
        ("teams", PAT["aadObjectId"], "What is the ESPP discount?")
    ]


async def test_a_button_that_is_not_deskmates_gets_a_400_invoke_response(teams: Teams) -> None:
    forged = teams.activity(
        {"id": "a:personal-29:pat", "conversationType": "personal"},
        PAT,
        type="invoke",
        name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": "x", "data": {"rating": 5}}},
    )

    response = await teams.post(forged)

    assert (await response.json())["statusCode"] == 400
    assert await teams.services.runtime.store.feedback.counts() == {}


# --- commands and welcome ----------------------------------------------------------------------


async def test_help_lists_the_commands(teams: Teams) -> None:
    reply = await teams.ask(teams.personal("help"))

    assert reply.body["text"] == texts.TEAMS_HELP


async def test_help_lists_the_digest_commands_to_admins_only(teams: Teams) -> None:
    to_admin = await teams.ask(teams.personal("help", sender=HR_LEAD))
    to_others = await teams.ask(teams.personal("help", sender=PAT))

    assert to_admin.body["text"] == texts.TEAMS_HELP_ADMIN
    assert "**digest here** / **digest off**" in to_admin.body["text"]
    assert "digest" not in to_others.body["text"]


async def test_status_says_what_is_indexed(teams: Teams) -> None:
    reply = await teams.ask(teams.channel("status"))

    assert "**eng-wiki**" in reply.body["text"]
    assert "**hr**" in reply.body["text"]
    assert "hr-restricted" not in reply.body["text"]  # a channel: only what everyone may see


async def test_reindex_is_refused_to_someone_who_is_not_an_admin(teams: Teams) -> None:
    runs_before = await teams.services.runtime.store.runs.recent(5)

    reply = await teams.ask(teams.personal("reindex", sender=PAT))

    assert reply.body["text"] == texts.REINDEX_NOT_ADMIN
    assert not await teams.services.reindexer.running()
    assert await teams.services.runtime.store.runs.recent(5) == runs_before


async def test_an_admin_reindex_runs_in_the_background_and_reports_when_done(teams: Teams) -> None:
    question = teams.channel("reindex hr", sender=HR_LEAD)

    started = await teams.ask(question)
    await teams.connector.wait_for(lambda c: len(c.messages()) == 2)

    assert started.body["text"] == texts.REINDEX_STARTED.format(what="hr")
    done = teams.connector.messages()[1]
    assert done.body["text"].startswith("Re-index finished in")
    assert done.path.startswith(f"/v3/conversations/{question['conversation']['id']}/")
    [run] = await teams.services.runtime.store.runs.recent(1)
    assert (run.trigger, run.sources, run.status) == ("teams", ("hr",), "succeeded")


async def test_reindex_while_another_run_holds_the_lock_is_refused(teams: Teams) -> None:
    async with teams.services.runtime.store.runs.exclusive():
        reply = await teams.ask(teams.personal("reindex", sender=HR_LEAD))

    assert reply.body["text"] == texts.REINDEX_RUNNING


async def test_reindex_of_an_unknown_source_names_the_known_ones(teams: Teams) -> None:
    reply = await teams.ask(teams.personal("reindex payroll", sender=HR_LEAD))

    assert reply.body["text"] == texts.REINDEX_UNKNOWN.format(
        unknown="payroll", known="eng-wiki, hr, hr-restricted"
    )


async def test_the_bot_added_to_a_team_says_what_it_knows_and_how_to_ask(teams: Teams) -> None:
    update = teams.activity(
        {"id": TEAM, "conversationType": "channel", "isGroup": True},
        HR_LEAD,
        type="conversationUpdate",
        membersAdded=[BOT],
        channelData={
            "tenant": {"id": TENANT},
            "team": {"id": TEAM},
            "eventType": "teamMemberAdded",
        },
    )

    response = await teams.post(update)

    assert response.status == 201
    [welcome] = teams.connector.messages()
    assert "documents in eng-wiki, hr" in welcome.body["text"]
    assert "hr-restricted" not in welcome.body["text"]
    assert "@mention me" in welcome.body["text"]


async def test_without_sources_yaml_the_welcome_names_what_is_indexed_and_reindex_says_what_to_do(
    sample_db: str, tmp_path: Path
) -> None:
    """A knowledge base built with `deskmate index PATH`: no sources.yaml, nothing remembered."""
    async with running_teams(sample_db, tmp_path, sources_file=tmp_path / "none.yaml") as teams:
        update = teams.activity(
            {"id": f"a:personal-{PAT['id']}", "conversationType": "personal"},
            PAT,
            type="conversationUpdate",
            membersAdded=[BOT],
            channelData={"tenant": {"id": TENANT}},
        )
        response = await teams.post(update)
        reindex = await teams.ask(teams.personal("reindex", sender=HR_LEAD))

    assert response.status == 201
    welcome = teams.connector.messages()[0]
    assert "documents in eng-wiki, hr" in welcome.body["text"]
    assert reindex.body["text"] == texts.REINDEX_NO_SOURCES


# --- authentication ----------------------------------------------------------------------------


SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
IMPOSTOR_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KEY_ID = "test-signing-key"


def _jwk() -> dict[str, Any]:
    jwk = json.loads(RSAAlgorithm.to_jwk(SIGNING_KEY.public_key()))
    return {**jwk, "kid": KEY_ID, "use": "sig", "endorsements": ["msteams"]}


def _token(
    key: rsa.RSAPrivateKey, service_url: str, audience: str = APP_ID, expires_in: int = 300
) -> str:
    """A Bot Framework channel token as the Bot Connector signs it."""
    now = int(time.time())
    claims = {
        "iss": "https://api.botframework.com",
        "aud": audience,
        "serviceurl": service_url,
        "nbf": now - 3600,
        "exp": now + expires_in,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KEY_ID})


@dataclass
class Secured:
    client: TestClient[Any, Any]
    connector: FakeBotConnector
    service_url: str
    services: Services

    async def post(self, activity: dict[str, Any], token: str | None = None) -> ClientResponse:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.client.post("/api/messages", json=activity, headers=headers)


@asynccontextmanager
async def secured_app(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, key_service: bool
) -> AsyncIterator[Secured]:
    """The app with MICROSOFT_APP_ID set; with `key_service`, the SDK fetches the Bot
    Framework's signing keys from the fake (which holds SIGNING_KEY) instead of Microsoft."""
    settings = make_settings(
        database_url,
        tmp_path,
        microsoft_app_id=APP_ID,
        microsoft_app_password="s3cret",
        microsoft_app_type="MultiTenant",
    )
    connector = FakeBotConnector(signing_keys=[_jwk()])
    with serve(connector) as fake:
        if key_service:
            monkeypatch.setattr(
                ChannelValidation, "open_id_metadata_endpoint", fake.url + OPENID_PATH
            )
        async with open_runtime(settings) as runtime:
            app = build_app(runtime)
            async with TestClient(TestServer(app)) as client:
                yield Secured(client, connector, fake.url, app[SERVICES])


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Host names resolved during the test (any reach for the network starts with one)."""
    seen: list[str] = []
    resolve = socket.getaddrinfo

    def recording(host: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(str(host))
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", recording)
    return seen


async def test_with_an_app_id_a_request_without_a_token_is_refused_before_any_handler(
    empty_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lookups: list[str]
) -> None:
    async with secured_app(empty_db, tmp_path, monkeypatch, key_service=False) as app:
        response = await app.post(personal(app.service_url, "help"))

        assert response.status == 401
        assert app.connector.calls == []
        assert await app.services.runtime.store.feedback.counts() == {}
    assert [h for h in lookups if h not in ("127.0.0.1", "localhost")] == []


async def test_with_an_app_id_a_token_signed_by_another_key_is_refused(
    empty_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with secured_app(empty_db, tmp_path, monkeypatch, key_service=True) as app:
        question = personal(app.service_url, "help")

        response = await app.post(question, _token(IMPOSTOR_KEY, app.service_url))

        assert response.status == 401
        assert app.connector.calls == []
        assert await _unseen(app.services, question)


async def test_with_an_app_id_a_token_for_another_bot_is_refused(
    empty_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other_bot = "11111111-2222-4333-8444-555555555555"
    async with secured_app(empty_db, tmp_path, monkeypatch, key_service=True) as app:
        token = _token(SIGNING_KEY, app.service_url, audience=other_bot)

        response = await app.post(personal(app.service_url, "help"), token)

        assert response.status == 401
        assert app.connector.calls == []


async def test_with_an_app_id_an_expired_token_is_refused(
    empty_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with secured_app(empty_db, tmp_path, monkeypatch, key_service=True) as app:
        question = personal(app.service_url, "help")
        expired = _token(SIGNING_KEY, app.service_url, expires_in=-600)  # past the SDK's leeway

        response = await app.post(question, expired)

        assert response.status == 401
        assert app.connector.calls == []
        assert await _unseen(app.services, question)


async def test_with_an_app_id_a_properly_signed_token_reaches_the_bot(
    empty_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with secured_app(empty_db, tmp_path, monkeypatch, key_service=True) as app:
        # a channel post without a mention: the bot handles it but has nothing to send
        post = Teams(app.client, app.connector, app.service_url, app.services).channel(
            "hello", mention=False
        )

        response = await app.post(post, _token(SIGNING_KEY, app.service_url))

        assert response.status == 201
        assert not await _unseen(app.services, post)


async def test_when_the_signing_keys_cannot_be_fetched_the_request_is_refused_not_a_500(
    empty_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with secured_app(empty_db, tmp_path, monkeypatch, key_service=False) as app:
        question = personal(app.service_url, "help")

        response = await app.post(question, _token(SIGNING_KEY, app.service_url))

        assert response.status == 401
        assert app.connector.calls == []
        assert await _unseen(app.services, question)


async def _unseen(services: Services, activity: dict[str, Any]) -> bool:
    """Whether no handler has seen this activity (its delivery would not be the first)."""
    key = f"teams:{activity['conversation']['id']}:{activity['id']}"
    return await services.runtime.store.feedback.first_delivery(key)


async def test_with_auth_off_only_a_local_emulator_may_call(
    teams: Teams, lookups: list[str]
) -> None:
    remote = personal("https://smba.trafficmanager.net/emea/", "What is the ESPP discount?")

    response = await teams.post(remote)

    assert response.status == 401
    assert await _unseen(teams.services, remote)
    assert [h for h in lookups if h not in ("127.0.0.1", "localhost")] == []


async def test_single_tenant_without_a_tenant_id_fails_at_start_saying_what_to_set(
    empty_db: str, tmp_path: Path
) -> None:
    settings = make_settings(
        empty_db,
        tmp_path,
        microsoft_app_id=APP_ID,
        microsoft_app_password="s3cret",
        microsoft_app_type="SingleTenant",
    )
    async with open_runtime(settings) as runtime:
        with pytest.raises(ConfigError, match="MICROSOFT_APP_TENANT_ID"):
            build_app(runtime)


# --- the Teams app package -----------------------------------------------------------------------


def test_teams_package_writes_the_manifest_with_the_app_id_and_both_icons(tmp_path: Path) -> None:
    output = tmp_path / "deskmate-teams.zip"

    result = CliRunner().invoke(cli, ["teams-package", "--app-id", APP_ID, "--output", str(output)])

    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(output) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        color = Image.open(package.open("color.png"))
        outline = Image.open(package.open("outline.png"))
        color.load()
        outline.load()
    assert manifest["id"] == APP_ID
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert sorted(bot["scopes"]) == ["groupChat", "personal", "team"]
    assert manifest["manifestVersion"] == "1.27"  # prompt starters need 1.27 or later
    personal, shared = bot["commandLists"]
    assert personal["scopes"] == ["personal"]
    starters = [c for c in personal["commands"] if c["type"] == "prompt"]
    assert starters
    assert all(c["prompt"] and len(c["title"]) <= 128 for c in starters)
    assert {c["title"] for c in shared["commands"]} == {"help", "status", "reindex"}
    assert all(c["type"] == "basic" for c in shared["commands"])
    assert (color.size, outline.size) == ((192, 192), (32, 32))
    assert outline.mode == "RGBA"


def test_teams_package_without_an_app_id_says_how_to_give_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["teams-package", "--output", str(tmp_path / "x.zip")])

    assert result.exit_code == 2
    assert "MICROSOFT_APP_ID" in result.output
    assert not (tmp_path / "x.zip").exists()


async def test_admin_in_a_personal_chat_gives_an_admin_a_one_time_sign_in_link(
    teams: Teams,
) -> None:
    reply = await teams.ask(teams.personal("admin", sender=HR_LEAD))

    link = re.search(r"http://localhost:\d+/admin/sign-in/\S+", reply.body["text"])
    assert link is not None
    token = link[0].rsplit("/", 1)[1]
    assert await teams.services.sign_ins.spend(token) == HR_LEAD["aadObjectId"]
    assert await teams.services.sign_ins.spend(token) is None  # once only


async def test_admin_is_refused_to_others_and_never_sent_to_a_channel(teams: Teams) -> None:
    refused = await teams.ask(teams.personal("admin", sender=PAT))
    in_channel = await teams.ask(teams.channel("admin", sender=HR_LEAD))

    assert refused.body["text"] == texts.ADMIN_NOT_ADMIN
    assert in_channel.body["text"] == texts.ADMIN_LINK_PRIVATE_ONLY
    async with teams.services.runtime.store.pool.connection() as conn:
        cur = await conn.execute("SELECT count(*) FROM admin_sign_ins")
        assert await cur.fetchone() == (0,)


# --- the admin conversation: the weekly digest and failed re-index notices ---------------------


async def _admin_conversation(teams: Teams) -> dict[str, Any] | None:
    return await teams.services.runtime.store.admin.conversation("teams")


def _new_messages_in(teams: Teams, conversation: str) -> list[Call]:
    """Messages of their own in `conversation`, not replies to one of its activities."""
    return teams.connector.recorded(
        lambda c: c.path == f"/v3/conversations/{conversation}/activities"
    )


async def test_an_admins_digest_here_in_a_channel_gets_the_weekly_digest_there_as_a_new_post(
    teams: Teams,
) -> None:
    for question in PARKING:  # nothing in the knowledge base says where to park
        await teams.ask(teams.personal(question, sender=PAT))
    command = teams.channel("digest here", sender=HR_LEAD)

    chosen = await teams.ask(command)
    sent = await teams.services.weekly_digest()

    assert chosen.body["text"] == texts.DIGEST_HERE
    assert chosen.path.startswith(f"/v3/conversations/{command['conversation']['id']}/")
    assert sent
    (post,) = teams.connector.conversations_created()  # a new post starts its own reply chain
    assert post.body["isGroup"] is True
    assert post.body["channelData"]["channel"]["id"] == TEAM
    digest = post.body["activity"]["text"]
    assert digest.startswith("Deskmate this week: 3 questions, 0% answered")
    assert "3 questions (+3 on the week before)" in digest
    assert "park" in digest
    assert "owner: " in digest


async def test_digest_here_and_off_are_refused_politely_to_someone_who_is_not_an_admin(
    teams: Teams,
) -> None:
    await teams.ask(teams.personal("digest here", sender=HR_LEAD))
    chosen = await _admin_conversation(teams)

    here = await teams.ask(teams.channel("digest here", sender=PAT))
    off = await teams.ask(teams.group_chat("digest off", sender=PAT))
    await teams.services.weekly_digest()

    assert here.body["text"] == off.body["text"] == texts.DIGEST_NOT_ADMIN
    assert await _admin_conversation(teams) == chosen  # nothing changed
    (digest,) = _new_messages_in(teams, f"a:personal-{HR_LEAD['id']}")
    assert digest.body["text"].startswith("Deskmate this week")
    assert not teams.connector.conversations_created()


async def test_digest_off_stops_the_notices_and_says_so_when_they_were_off_already(
    teams: Teams,
) -> None:
    await teams.ask(teams.group_chat("digest here", sender=HR_LEAD))

    off = await teams.ask(teams.group_chat("digest off", sender=HR_LEAD))
    again = await teams.ask(teams.group_chat("digest off", sender=HR_LEAD))
    await teams.services.weekly_digest()

    assert off.body["text"] == texts.DIGEST_OFF
    assert again.body["text"] == texts.DIGEST_WAS_OFF
    assert await _admin_conversation(teams) is None
    assert not _new_messages_in(teams, GROUP_CHAT)


async def test_the_chosen_conversation_is_shared_by_replicas_and_choosing_elsewhere_moves_it(
    sample_db: str, tmp_path: Path
) -> None:
    sources = exports_with_a_broken_file(tmp_path)

    async with (
        running_teams(sample_db, tmp_path, sources_file=sources) as teams,
        running_teams(sample_db, tmp_path / "replica", sources_file=sources) as replica,
    ):
        first = await teams.ask(teams.personal("digest here", sender=HR_LEAD))
        moved = await teams.ask(teams.group_chat("digest here", sender=HR_LEAD))
        same = await teams.ask(teams.group_chat("digest here", sender=HR_LEAD))
        await replica.services.scheduled_reindex()  # the nightly run, on the other replica

    assert first.body["text"] == texts.DIGEST_HERE
    assert moved.body["text"] == texts.DIGEST_MOVED
    assert same.body["text"] == texts.DIGEST_ALREADY_HERE
    (notice,) = _new_messages_in(teams, GROUP_CHAT)
    assert "broken.pdf" in notice.body["text"]
    assert "1 failed" in notice.body["text"]
    assert not _new_messages_in(teams, f"a:personal-{HR_LEAD['id']}")
    assert not replica.connector.calls


async def test_a_conversation_the_bot_was_removed_from_is_forgotten_and_slack_still_hears(
    sample_db: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    slack = {"slack_bot_token": BOT_TOKEN, "slack_signing_secret": SIGNING_SECRET}
    with FakeSlackApi() as api:
        async with running_teams(
            sample_db, tmp_path, slack_api_url=api.api_url, admin_channel="C0ADMINS", **slack
        ) as teams:
            await teams.ask(teams.group_chat("digest here", sender=HR_LEAD))
            teams.connector.removed_from.add(GROUP_CHAT)
            with caplog.at_level(logging.INFO):
                sent = await teams.services.weekly_digest()
            forgotten = await _admin_conversation(teams) is None

    assert sent
    (refused,) = _new_messages_in(teams, GROUP_CHAT)
    assert refused.body["text"].startswith("Deskmate this week")
    (digest,) = api.calls_to("chat.postMessage", channel="C0ADMINS")
    assert digest.text.startswith("Deskmate this week")
    assert forgotten
    (warning,) = [r for r in caplog.records if "admin conversation refused" in r.getMessage()]
    assert warning.levelno == logging.WARNING
    assert "HTTP 403" in warning.getMessage()
    assert "digest here" in warning.getMessage()
    assert BOT_TOKEN not in caplog.text


async def test_removing_the_bot_from_the_chosen_chat_forgets_it_and_from_another_chat_does_not(
    teams: Teams,
) -> None:
    def removed_from(conversation: dict[str, Any]) -> dict[str, Any]:
        return teams.activity(
            conversation, HR_LEAD, type="conversationUpdate", membersRemoved=[BOT]
        )

    await teams.ask(teams.group_chat("digest here", sender=HR_LEAD))

    elsewhere = await teams.post(
        removed_from({"id": "19:other-chat@thread.v2", "conversationType": "groupChat"})
    )
    still_chosen = await _admin_conversation(teams) is not None
    here = await teams.post(removed_from({"id": GROUP_CHAT, "conversationType": "groupChat"}))
    sent = await teams.services.weekly_digest()

    assert elsewhere.status == here.status == 201
    assert still_chosen
    assert await _admin_conversation(teams) is None
    assert not sent
    assert len(_new_messages_in(teams, GROUP_CHAT)) == 0


async def test_removing_the_bot_from_the_team_or_uninstalling_it_forgets_its_conversation(
    teams: Teams,
) -> None:
    await teams.ask(teams.channel("digest here", sender=HR_LEAD))
    await teams.post(
        teams.activity(
            {"id": TEAM, "conversationType": "channel", "isGroup": True},
            HR_LEAD,
            type="conversationUpdate",
            membersRemoved=[BOT],
            channelData={
                "tenant": {"id": TENANT},
                "team": {"id": TEAM},
                "eventType": "teamMemberRemoved",
            },
        )
    )
    team_forgotten = await _admin_conversation(teams) is None
    await teams.ask(teams.personal("digest here", sender=HR_LEAD))
    uninstall = teams.personal("", sender=HR_LEAD)

    await teams.post({**uninstall, "type": "installationUpdate", "action": "remove"})

    assert team_forgotten
    assert await _admin_conversation(teams) is None


async def test_a_chat_that_no_longer_exists_is_forgotten_too(teams: Teams) -> None:
    await teams.ask(teams.group_chat("digest here", sender=HR_LEAD))
    teams.connector.deleted.add(GROUP_CHAT)

    sent = await teams.services.weekly_digest()

    assert not sent  # nowhere took it
    assert len(_new_messages_in(teams, GROUP_CHAT)) == 1  # refused with 404
    assert await _admin_conversation(teams) is None


async def test_a_week_with_no_admin_conversation_chosen_is_sent_once_one_is_chosen(
    teams: Teams,
) -> None:
    nowhere = await teams.services.weekly_digest()
    await teams.ask(teams.group_chat("digest here", sender=HR_LEAD))

    sent = await teams.services.weekly_digest()
    again = await teams.services.weekly_digest()

    assert not nowhere
    assert sent
    assert not again  # the week is spent now
    (digest,) = _new_messages_in(teams, GROUP_CHAT)
    assert digest.body["text"].startswith("Deskmate this week")
