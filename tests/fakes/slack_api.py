"""A fake Slack for tests and benchmarks, in both directions.

- `FakeSlackApi`: the Web API on a loopback port (point `SLACK_API_URL` at `api_url`). It
  records every call and answers like Slack does; tests script failures per method, set
  channel members, e-mails, user groups and thread histories. It keeps what each message
  shows (posted, updated, or streamed with `chat.startStream` / `appendStream` /
  `stopStream`), takes `response_url` posts and serves a Socket Mode WebSocket.
- `SlackSender`: events, slash commands and clicks with payloads shaped like Slack's
  documented examples, signed with the signing secret exactly as Slack signs them.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import WSMsgType, web

from tests.fakes.http_server import ThreadedServer

TEAM = "T0HALYARD"
BOT_USER = "U0DESKMATE"
BOT_ID = "B0DESKMATE"
APP_ID = "A0DESKMATE"
BOT_TOKEN = "xoxb-test-not-a-real-token"
APP_TOKEN = "xapp-test-not-a-real-token"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
JSON_FIELDS = ("blocks", "attachments", "view")


@dataclass(frozen=True)
class Call:
    """One request that reached the fake: the Web API method (or "response_url") and its
    arguments, with `blocks` and `view` decoded."""

    method: str
    args: dict[str, Any]
    token: str | None = None
    result: dict[str, Any] = field(default_factory=dict)  # what the fake answered
    at: float = field(default_factory=time.monotonic)  # when it arrived

    @property
    def ok(self) -> bool:
        """Whether the fake answered it as a success."""
        return bool(self.result.get("ok"))

    @property
    def ts(self) -> str:
        """The ts of the message this call posted (or updated)."""
        return str(self.result.get("ts") or self.result.get("message_ts") or self.args.get("ts"))

    @property
    def text(self) -> str:
        """What a person reads: every text inside the blocks, else the message text."""
        if self.args.get("blocks"):
            return "\n".join(_texts(self.args["blocks"]))
        return str(self.args.get("text") or "")

    def blocks_of(self, kind: str) -> list[dict[str, Any]]:
        return [b for b in self.args.get("blocks") or [] if b.get("type") == kind]

    def buttons(self) -> dict[str, dict[str, Any]]:
        """action_id -> button, over every actions block."""
        return {e["action_id"]: e for b in self.blocks_of("actions") for e in b["elements"]}

    def feedback(self) -> dict[str, Any] | None:
        """The native `feedback_buttons` element under the message, if any."""
        for block in self.blocks_of("context_actions"):
            for element in block["elements"]:
                if element["type"] == "feedback_buttons":
                    return dict(element)
        return None


@dataclass
class Shown:
    """What one message shows now, and whether it is still streaming."""

    channel: str
    ts: str
    thread_ts: str | None
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    streamed: str = ""  # the markdown text a stream has written so far
    streaming: bool = False


@dataclass(frozen=True)
class Canned:
    """A scripted answer: an HTTP status, a JSON body, headers."""

    body: dict[str, Any]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def rate_limited(retry_after: int = 0) -> Canned:
    return Canned({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": str(retry_after)})


def error(code: str) -> Canned:
    return Canned({"ok": False, "error": code})


class FakeSlackApi:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.members: dict[str, list[str]] = {}  # channel -> members; others: not_in_channel
        self.emails: dict[str, str] = {}
        self.usergroups: list[dict[str, str]] = []
        self.threads: dict[tuple[str, str], list[dict[str, Any]]] = {}  # conversations.replies
        self.shown: dict[tuple[str, str], Shown] = {}
        self.socket_acks: list[dict[str, Any]] = []
        self._scripted: dict[str, list[Canned]] = {}
        self._ts = itertools.count(1)
        self._sockets: list[tuple[web.WebSocketResponse, asyncio.AbstractEventLoop]] = []
        self._server = ThreadedServer(self._app())

    def __enter__(self) -> FakeSlackApi:
        self._server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        for socket, loop in self._sockets:
            asyncio.run_coroutine_threadsafe(socket.close(), loop).result(5)
        self._server.__exit__(*exc)

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.url}/response/{name}"

    def script(self, method: str, *answers: Canned) -> None:
        """The next calls to `method` get these answers, in order; then the usual ones."""
        self._scripted.setdefault(method, []).extend(answers)

    def calls_to(self, method: str, **where: Any) -> list[Call]:
        """Calls of `method` whose arguments include `where` (e.g. channel="C1")."""
        return [
            c
            for c in list(self.calls)
            if c.method == method and all(c.args.get(k) == v for k, v in where.items())
        ]

    def message(self, channel: str, ts: str) -> Call:
        """The message as people see it now: a streamed one is its text in a `markdown`
        block above the blocks its stop added (as Slack shows it), an updated one its update."""
        shown = self.shown[(channel, ts)]
        blocks = list(shown.blocks)
        if shown.streamed:
            blocks.insert(0, {"type": "markdown", "text": shown.streamed})
        args = {"channel": channel, "ts": ts, "text": shown.text, "blocks": blocks}
        if shown.thread_ts:
            args["thread_ts"] = shown.thread_ts
        return Call("message", args, BOT_TOKEN, {"ts": ts})

    async def wait_for(
        self, method: str, count: int = 1, timeout: float = 15.0, **where: Any
    ) -> list[Call]:
        """Wait (bounded) until `count` matching calls have arrived."""
        deadline = time.monotonic() + timeout
        while len(found := self.calls_to(method, **where)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} {method} call(s) {where}, got {found}")
            await asyncio.sleep(0.01)
        return found

    async def push(self, envelope: dict[str, Any], timeout: float = 10.0) -> None:
        """Send a Socket Mode envelope to every connected client (waiting for one)."""
        deadline = time.monotonic() + timeout
        while not self._sockets:
            if time.monotonic() > deadline:
                raise AssertionError("no Socket Mode client connected")
            await asyncio.sleep(0.01)
        for socket, loop in self._sockets:
            asyncio.run_coroutine_threadsafe(socket.send_json(envelope), loop).result(5)

    # --- the server side ---------------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response_url)
        app.router.add_get("/socket", self._socket)
        return app

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _arguments(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ") or args.get(
            "token"
        )
        scripted = self._scripted.get(method)
        if scripted:
            canned = scripted.pop(0)
        elif token not in (BOT_TOKEN, APP_TOKEN):
            canned = Canned({"ok": False, "error": "invalid_auth"})
        else:
            canned = Canned(self._answer(method, args))
        self.calls.append(Call(method, args, token, canned.body))
        return web.json_response(canned.body, status=canned.status, headers=canned.headers)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        handler = self._handlers().get(method)
        return handler(args) if handler else {"ok": True}

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "auth.test": lambda a: {
                "ok": True,
                "url": "https://halyard.slack.com/",
                "team": "Halyard",
                "user": "deskmate",
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            },
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.startStream": self._start_stream,
            "chat.appendStream": self._append_stream,
            "chat.stopStream": self._stop_stream,
            "assistant.threads.setStatus": self._assistant_thread,
            "assistant.threads.setSuggestedPrompts": self._assistant_thread,
            "conversations.replies": self._replies,
            "chat.postEphemeral": lambda a: {"ok": True, "message_ts": self._next_ts()},
            "chat.getPermalink": lambda a: {
                "ok": True,
                "channel": a["channel"],
                "permalink": f"https://halyard.slack.com/archives/{a['channel']}/"
                f"p{str(a['message_ts']).replace('.', '')}",
            },
            "views.open": lambda a: {"ok": True, "view": {"id": "V0FEEDBACK", **a["view"]}},
            "conversations.members": self._members,
            "users.info": self._user,
            "usergroups.list": lambda a: {"ok": True, "usergroups": self.usergroups},
            "apps.connections.open": lambda a: {
                "ok": True,
                "url": self.url.replace("http", "ws") + "/socket",
            },
        }

    def _next_ts(self) -> str:
        return f"1800000000.{next(self._ts):06d}"

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = self._next_ts()
        channel = args["channel"]
        self.shown[(channel, ts)] = Shown(
            channel,
            ts,
            args.get("thread_ts"),
            str(args.get("text") or ""),
            args.get("blocks") or [],
        )
        message = {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "ts": ts, **args}
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        shown = self.shown.get((args["channel"], args["ts"]))
        if shown is None:
            return {"ok": False, "error": "message_not_found"}
        shown.text, shown.blocks = str(args.get("text") or ""), args.get("blocks") or []
        shown.streamed, shown.streaming = "", False
        return {"ok": True, "channel": args["channel"], "ts": args["ts"]}

    def _start_stream(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args["channel"])
        outside_dm = not channel.startswith("D")
        if outside_dm and not (args.get("recipient_user_id") and args.get("recipient_team_id")):
            return {"ok": False, "error": "invalid_arguments"}  # required in channels
        if not outside_dm and not args.get("thread_ts"):
            return {"ok": False, "error": "invalid_arguments"}  # top level only in channels
        ts = self._next_ts()
        shown = Shown(channel, ts, args.get("thread_ts"), streaming=True)
        shown.streamed = str(args.get("markdown_text") or "")
        self.shown[(channel, ts)] = shown
        return {"ok": True, "channel": channel, "ts": ts}

    def _append_stream(self, args: dict[str, Any]) -> dict[str, Any]:
        shown = self.shown.get((args["channel"], args["ts"]))
        if shown is None:
            return {"ok": False, "error": "message_not_found"}
        if not shown.streaming:
            return {"ok": False, "error": "message_not_in_streaming_state"}
        if len(str(args.get("markdown_text") or "")) > 12_000:
            return {"ok": False, "error": "msg_too_long"}
        shown.streamed += str(args.get("markdown_text") or "")
        return {"ok": True, "channel": args["channel"], "ts": args["ts"]}

    def _stop_stream(self, args: dict[str, Any]) -> dict[str, Any]:
        answered = self._append_stream({**args, "markdown_text": args.get("markdown_text") or ""})
        if answered["ok"]:
            shown = self.shown[(args["channel"], args["ts"])]
            shown.blocks, shown.streaming = args.get("blocks") or [], False
        return answered

    def _assistant_thread(self, args: dict[str, Any]) -> dict[str, Any]:
        if not str(args.get("channel_id", "")).startswith("D"):
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True}

    def _replies(self, args: dict[str, Any]) -> dict[str, Any]:
        messages = self.threads.get((args["channel"], args["ts"]))
        if messages is None:
            return {"ok": False, "error": "thread_not_found"}
        limit = int(args.get("limit") or 1000)
        return {"ok": True, "messages": messages[:limit], "has_more": len(messages) > limit}

    def _members(self, args: dict[str, Any]) -> dict[str, Any]:
        if args["channel"] not in self.members:
            return {"ok": False, "error": "not_in_channel"}
        members = self.members[args["channel"]]
        start, size = int(args.get("cursor") or 0), int(args.get("limit") or 100)
        after = start + size
        cursor = str(after) if after < len(members) else ""
        return {
            "ok": True,
            "members": members[start:after],
            "response_metadata": {"next_cursor": cursor},
        }

    def _user(self, args: dict[str, Any]) -> dict[str, Any]:
        user = args["user"]
        profile = {"email": self.emails[user]} if user in self.emails else {}
        return {"ok": True, "user": {"id": user, "team_id": TEAM, "profile": profile}}

    async def _response_url(self, request: web.Request) -> web.Response:
        self.calls.append(Call("response_url", await request.json()))
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._sockets.append((socket, asyncio.get_running_loop()))
        await socket.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": APP_ID}}
        )
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
        return socket


async def _arguments(request: web.Request) -> dict[str, Any]:
    args: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        args.update(await request.json())
    elif request.method == "POST":
        args.update(await request.post())
    for name in JSON_FIELDS:
        if isinstance(args.get(name), str):
            args[name] = json.loads(args[name])
    return args


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [str(value["text"])] if isinstance(value.get("text"), str) else []
        return found + [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for item in value for t in _texts(item)]
    return []


# --- Slack -> Deskmate ---------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: str) -> str:
    """`X-Slack-Signature`: v0= HMAC-SHA256 of "v0:{timestamp}:{body}" with the secret."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None, **extra: str
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sign(secret, stamp, body),
        **extra,
    }


_event_ids = itertools.count(1)


def event_callback(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """The Events API envelope around `event`."""
    return {
        "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
        "team_id": TEAM,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev0{next(_event_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM,
                "user_id": BOT_USER,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def app_mention(
    text: str, user: str, channel: str, ts: str, thread_ts: str | None = None
) -> dict[str, Any]:
    event = {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER}> {text}",
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        "team": TEAM,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def direct_message(
    text: str, user: str, channel: str, ts: str, thread_ts: str | None = None
) -> dict[str, Any]:
    event = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "im",
        "team": TEAM,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = BOT_USER
    return event


def slash_command(
    text: str, user: str, channel: str, response_url: str, command: str = "/deskmate"
) -> dict[str, str]:
    return {
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "team_id": TEAM,
        "team_domain": "halyard",
        "channel_id": channel,
        "channel_name": "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    }


def block_action(
    button: dict[str, Any],
    user: str,
    channel: str,
    message_ts: str,
    response_url: str,
    *,
    thread_ts: str | None = None,
    ephemeral: bool = False,
) -> dict[str, Any]:
    """A click on `button` (as found in a message the fake received)."""
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel,
        "is_ephemeral": ephemeral,
    }
    if thread_ts:
        container["thread_ts"] = thread_ts
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
        "api_app_id": APP_ID,
        "token": "9s8d9as89d8as9d8as989",
        "container": container,
        "trigger_id": "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3",
        "team": {"id": TEAM, "domain": "halyard"},
        "channel": {"id": channel, "name": "general"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": button["action_id"],
                "block_id": "answer",
                "text": button["text"],
                "value": button["value"],
                "type": button.get("type", "button"),
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    if not ephemeral:
        payload["message"] = {"type": "message", "ts": message_ts, "thread_ts": thread_ts}
    return payload


def feedback_choice(element: dict[str, Any], *, positive: bool) -> dict[str, Any]:
    """One side of a `feedback_buttons` element, as a click on it is reported to the app:
    the element's action id and type, the clicked button's text and value."""
    side = element["positive_button" if positive else "negative_button"]
    return {
        "action_id": element["action_id"],
        "type": "feedback_buttons",
        "text": side["text"],
        "value": side["value"],
    }


def view_submission(view: dict[str, Any], user: str, values: dict[str, Any]) -> dict[str, Any]:
    """Submitting the modal `view` (as opened through the fake) with these input values."""
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "halyard"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "api_app_id": APP_ID,
        "token": "9s8d9as89d8as9d8as989",
        "trigger_id": "12466734323.1395872398.38ff6f0f6a6a2e4c1c1f77f6f5c1b6f2",
        "view": {**view, "id": "V0FEEDBACK", "state": {"values": values}},
        "response_urls": [],
    }


def interaction_form(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


class SlackSender:
    """Posts signed requests to the app's `/slack/events`; `http` is an aiohttp test client
    or a `ClientSession` with a base URL."""

    def __init__(self, http: Any, secret: str = SIGNING_SECRET, path: str = "/slack/events"):
        self._http = http
        self._secret = secret
        self._path = path

    async def send(
        self,
        body: str,
        content_type: str,
        headers: dict[str, str] | None = None,
        *,
        secret: str | None = None,
        timestamp: int | None = None,
        unsigned: bool = False,
    ) -> tuple[int, str]:
        """Post `body` signed with the secret (or another `secret`, at another `timestamp`,
        or not signed at all)."""
        signed = {} if unsigned else signed_headers(body, secret or self._secret, timestamp)
        all_headers = {"Content-Type": content_type, **signed, **(headers or {})}
        async with self._http.post(self._path, data=body, headers=all_headers) as response:
            return response.status, await response.text()

    async def event(
        self, event: dict[str, Any], headers: dict[str, str] | None = None, **signing: Any
    ) -> tuple[int, str]:
        """An Events API delivery: `event` alone, or a whole `event_callback` envelope."""
        body = json.dumps(event if event.get("type") == "event_callback" else event_callback(event))
        return await self.send(body, "application/json", headers, **signing)

    async def command(self, fields: dict[str, str]) -> tuple[int, str]:
        return await self.send(urlencode(fields), "application/x-www-form-urlencoded")

    async def interaction(self, payload: dict[str, Any]) -> tuple[int, str]:
        return await self.send(interaction_form(payload), "application/x-www-form-urlencoded")
