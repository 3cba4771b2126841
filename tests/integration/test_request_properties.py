"""Property-based tests of what Slack and Teams may send: whatever arrives, correctly signed or
not, well-formed or not, the server answers without a server error, and nothing Deskmate posts
back carries a traceback or exceeds the platform's size limit.

Hypothesis drives a running app (the real aiohttp server, the fake platform on loopback), so
each property runs on an event loop of its own that outlives the examples.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes.slack_api import BOT_USER, FakeSlackApi, event_callback
from tests.integration.test_slack import ALICE, DM, GENERAL, Deskmate, running, slack_settings
from tests.integration.test_teams import HR_LEAD, PAT, TENANT, Teams, running_teams

T = TypeVar("T")

EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SLACK_TEXT_LIMIT = 40_000  # characters Slack accepts in a message's text
TEAMS_ACTIVITY_LIMIT = 28_000  # bytes of an activity Teams accepts

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
texts = st.text(max_size=400) | st.sampled_from(
    ["", " ", "<!channel>", "@everyone hi", "'; DROP TABLE chunks; --", "What is the ESPP?"]
)
maybe = st.one_of  # reads as "maybe this, maybe that"


class Loop:
    """An event loop that a synchronous Hypothesis test can run coroutines on."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._loop.run_until_complete(coroutine)

    def close(self) -> None:
        self._loop.close()


def _with_app(enter: Any, check: Callable[[Loop, Any], None]) -> None:
    loop = Loop()
    app = loop.run(enter.__aenter__())
    try:
        check(loop, app)
    finally:
        loop.run(enter.__aexit__(None, None, None))
        loop.close()


# --- Slack --------------------------------------------------------------------------------------

slack_events = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["app_mention", "message", "app_home_opened", "reaction_added"])
        | st.text(max_size=12),
        "text": texts,
        "ts": maybe(st.just("1700000001.000100"), st.text(max_size=20)),
    },
    optional={
        "user": maybe(st.just(ALICE), st.text(max_size=12), st.none()),
        "channel": maybe(st.sampled_from([GENERAL, DM]), st.text(max_size=12)),
        "channel_type": st.sampled_from(["im", "channel", "group", "mpim"]) | st.text(max_size=5),
        "thread_ts": st.text(max_size=20),
        "subtype": st.sampled_from(["bot_message", "message_changed", "file_share"]),
        "bot_id": st.text(max_size=8),
        "files": json_values,
        "blocks": json_values,
    },
)


@pytest.fixture
def api() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as fake:
        fake.members = {GENERAL: [ALICE, BOT_USER]}
        yield fake


def _slack_posts_are_safe(api: FakeSlackApi) -> None:
    for call in api.calls:
        text = json.dumps(call.args)
        assert "Traceback" not in text, call
        assert len(str(call.args.get("text") or "")) <= SLACK_TEXT_LIMIT, call


def test_any_signed_slack_event_is_acknowledged_and_never_answered_with_a_traceback(
    sample_db: str, tmp_path: Path, api: FakeSlackApi
) -> None:
    def check(loop: Loop, deskmate: Deskmate) -> None:
        @EXAMPLES
        @given(slack_events)
        def property_(event: dict[str, Any]) -> None:
            status, _ = loop.run(deskmate.slack.event(event_callback(event)))
            loop.run(deskmate.settle())
            assert status < 500, event
            _slack_posts_are_safe(api)

        property_()

    _with_app(running(slack_settings(sample_db, tmp_path, api), api), check)


def test_any_signed_slack_body_is_refused_or_handled_without_a_server_error(
    sample_db: str, tmp_path: Path, api: FakeSlackApi
) -> None:
    def check(loop: Loop, deskmate: Deskmate) -> None:
        @EXAMPLES
        @given(
            maybe(st.text(max_size=300), json_values.map(json.dumps)),
            st.sampled_from(["application/json", "application/x-www-form-urlencoded"]),
        )
        def property_(body: str, content_type: str) -> None:
            status, _ = loop.run(deskmate.slack.send(body, content_type))
            loop.run(deskmate.settle())
            assert status < 500, body
            _slack_posts_are_safe(api)

        property_()

    _with_app(running(slack_settings(sample_db, tmp_path, api), api), check)


# --- Teams --------------------------------------------------------------------------------------


def _teams_activities(service_url: str) -> st.SearchStrategy[dict[str, Any]]:
    conversation = st.fixed_dictionaries(
        {"id": st.text(max_size=20)},
        optional={
            "conversationType": st.sampled_from(["personal", "channel", "groupChat"])
            | st.text(max_size=8),
            "isGroup": st.booleans(),
            "tenantId": st.just(TENANT),
        },
    )
    return st.fixed_dictionaries(
        {
            "type": st.sampled_from(["message", "invoke", "conversationUpdate", "messageReaction"])
            | st.text(max_size=10),
            "id": st.text(max_size=12),
            "channelId": st.just("msteams") | st.text(max_size=8),
            "serviceUrl": st.just(service_url),
            "from": maybe(st.sampled_from([PAT, HR_LEAD]), json_values),
            "conversation": maybe(conversation, json_values),
        },
        optional={
            "text": texts,
            "recipient": json_values,
            "entities": st.lists(json_values, max_size=3),
            "value": json_values,
            "name": st.sampled_from(["adaptiveCard/action", "message/submitAction"])
            | st.text(max_size=10),
            "channelData": json_values,
            "membersAdded": st.lists(json_values, max_size=2),
            "replyToId": st.text(max_size=12),
        },
    )


def test_any_teams_activity_is_handled_without_a_server_error_or_a_traceback(
    sample_db: str, tmp_path: Path
) -> None:
    def check(loop: Loop, teams: Teams) -> None:
        @EXAMPLES
        @given(_teams_activities(teams.service_url))
        def property_(activity: dict[str, Any]) -> None:
            response = loop.run(teams.post(activity))
            loop.run(teams.services.idle())
            # 501 is the Bot Framework's answer to an invoke no handler takes (its protocol)
            unhandled_invoke = activity["type"] == "invoke" and response.status == 501
            assert response.status < 500 or unhandled_invoke, activity
            for call in teams.connector.recorded():
                body = json.dumps(call.body)
                assert "Traceback" not in body, call
                assert len(body.encode()) <= TEAMS_ACTIVITY_LIMIT, call

        property_()

    _with_app(running_teams(sample_db, tmp_path), check)
