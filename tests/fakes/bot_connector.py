"""A fake Bot Connector service for tests: the activity's `serviceUrl` points at it, and the
real `botframework-connector` client sends Deskmate's replies here over HTTP.

It records every call (method, path, JSON body, Authorization header), answers sends with a
new activity id, serves conversation members (plain and paged), opens 1:1 conversations and
new posts in a channel, and refuses, as Teams does, whatever is sent to a conversation or
channel in `removed_from` (the bot was removed from it: 403) or `deleted` (404).
It checks streamed replies as Teams does (a `streaminfo` entity: the stream named by the id
of its first, informative update, sequence numbers that increase, each update holding the
text of the one before, a final message without a sequence number) and refuses the rest
with 400.
It can also stand in for the Bot Framework's token-signing key service (OpenID metadata and
JWKS), so that tokens signed by a test key can be checked by the real SDK.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.http_server import ThreadedServer

OPENID_PATH = "/v1/.well-known/openidconfiguration"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict[str, Any]
    auth: str | None
    response_id: str | None = None  # the id the fake answered with (new activity/conversation)
    at: float = field(default_factory=time.monotonic)  # when it arrived

    @property
    def type(self) -> str:
        return str(self.body.get("type", ""))

    def entities(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.body.get("entities") or [] if e.get("type") == kind]

    @property
    def stream_info(self) -> dict[str, Any] | None:
        found = self.entities("streaminfo")
        return found[0] if found else None

    @property
    def ai_message(self) -> dict[str, Any] | None:
        """The `https://schema.org/Message` entity: the AI label and citations."""
        found = self.entities("https://schema.org/Message")
        return found[0] if found else None

    @property
    def card(self) -> dict[str, Any] | None:
        """The Adaptive Card this activity carries, if any."""
        for attachment in self.body.get("attachments") or []:
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                return dict(attachment["content"])
        return None


@dataclass
class FakeBotConnector:
    """State shared by the handlers: `members` by conversation (or team) id, recorded `calls`."""

    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    page_size: int = 2
    fail_members: bool = False
    removed_from: set[str] = field(default_factory=set)  # conversation or channel ids
    deleted: set[str] = field(default_factory=set)
    signing_keys: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _streams: dict[str, tuple[int, str]] = field(default_factory=dict)  # id -> (seq, text)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._send)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._send)
        app.router.add_get("/v3/conversations/{conversation}/members", self._members)
        app.router.add_get("/v3/conversations/{conversation}/pagedmembers", self._paged_members)
        app.router.add_get(OPENID_PATH, self._openid)
        app.router.add_get("/v1/.well-known/keys", self._keys)
        return app

    # --- what the tests read ---------------------------------------------------------------

    def recorded(self, predicate: Callable[[Call], bool] = lambda c: True) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if predicate(c)]

    def messages(self) -> list[Call]:
        """Messages posted (new or in reply), in order; card updates are not included."""
        return self.recorded(lambda c: c.method == "POST" and c.type == "message")

    def typing(self) -> list[Call]:
        return self.recorded(lambda c: c.type == "typing")

    def answers(self) -> list[Call]:
        """Messages that are answers: they carry the AI label."""
        return self.recorded(lambda c: c.method == "POST" and c.ai_message is not None)

    def updates(self) -> list[Call]:
        return self.recorded(lambda c: c.method == "PUT")

    async def wait_for(
        self, predicate: Callable[[FakeBotConnector], bool], timeout: float = 15.0
    ) -> None:
        """Wait until `predicate(self)` holds (polling), or fail the test after `timeout`."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"the fake Bot Connector never saw it; calls: {self.calls}")
            await asyncio.sleep(0.02)

    # --- handlers ----------------------------------------------------------------------------

    def _record(
        self, request: web.Request, body: dict[str, Any], response_id: str | None = None
    ) -> None:
        auth = request.headers.get("Authorization")
        with self._lock:
            self.calls.append(Call(request.method, request.path, body, auth, response_id))

    def conversations_created(self) -> list[Call]:
        """New 1:1 chats and new posts in a channel, in order."""
        return self.recorded(lambda c: c.method == "POST" and c.path == "/v3/conversations")

    async def _send(self, request: web.Request) -> web.Response:
        new_id = f"reply-{next(self._ids)}"
        body = await request.json()
        refused = self._refusal(request.match_info["conversation"].split(";")[0])
        if refused is not None:
            self._record(request, body)
            return refused
        with self._lock:
            refused = self._stream_error(body, new_id)
        if refused:
            self._record(request, body)
            error = {"error": {"code": "BadArgument", "message": refused}}
            return web.json_response(error, status=400)
        self._record(request, body, new_id)
        return web.json_response({"id": new_id})

    def _stream_error(self, body: dict[str, Any], new_id: str) -> str | None:
        """Why Teams would refuse this streamed activity, if it would (under the lock)."""
        info = next((e for e in body.get("entities") or [] if e.get("type") == "streaminfo"), None)
        if info is None:
            return None
        kind, stream = info.get("streamType"), info.get("streamId")
        if kind == "final":
            if body.get("type") != "message" or "streamSequence" in info:
                return "a final stream message is a message without streamSequence"
            return None if stream in self._streams else "unknown streamId"
        if body.get("type") != "typing" or kind not in ("informative", "streaming"):
            return "only start streaming and continue streaming types are allowed as typing"
        sequence = info.get("streamSequence")
        if not isinstance(sequence, int):
            return "streamSequence is required"
        if stream is None:
            if kind != "informative" and sequence != 1:
                return "a new stream starts with sequence 1"
            self._streams[new_id] = (sequence, "")
            return None
        if stream not in self._streams:
            return "unknown streamId"
        last, text = self._streams[stream]
        if sequence <= last:
            return "streamSequence must increase"
        if kind == "streaming" and not str(body.get("text") or "").startswith(text):
            return "a streaming update must hold the content streamed before"
        self._streams[stream] = (
            sequence,
            str(body.get("text") or "") if kind == "streaming" else text,
        )
        return None

    async def _create_conversation(self, request: web.Request) -> web.Response:
        body = await request.json()
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
        refused = self._refusal(channel)
        if refused is not None:
            self._record(request, body)
            return refused
        number = next(self._ids)
        new_id = f"{channel};messageid={number}" if channel else f"a:personal-{number}"
        self._record(request, body, new_id)
        created = {"id": new_id, **({"activityId": str(number)} if body.get("activity") else {})}
        return web.json_response(created, status=201)

    async def _members(self, request: web.Request) -> web.Response:
        self._record(request, {})
        found = self._members_of(request.match_info["conversation"])
        if found is None:
            return _not_found()
        return web.json_response(found)

    async def _paged_members(self, request: web.Request) -> web.Response:
        self._record(request, {})
        found = self._members_of(request.match_info["conversation"])
        if found is None:
            return _not_found()
        start = int(request.query.get("continuationToken") or 0)
        end = start + self.page_size
        page: dict[str, Any] = {"members": found[start:end]}
        if end < len(found):
            page["continuationToken"] = str(end)
        return web.json_response(page)

    async def _openid(self, request: web.Request) -> web.Response:
        keys = f"{request.url.origin()}/v1/.well-known/keys"
        return web.json_response({"issuer": "https://api.botframework.com", "jwks_uri": keys})

    async def _keys(self, request: web.Request) -> web.Response:
        return web.json_response({"keys": self.signing_keys})

    def _refusal(self, conversation: str | None) -> web.Response | None:
        if conversation in self.removed_from:
            return _not_in_roster()
        if conversation in self.deleted:
            return _not_found()
        return None

    def _members_of(self, conversation: str) -> list[dict[str, Any]] | None:
        if self.fail_members:
            return None
        return self.members.get(conversation.split(";")[0])


def _not_found() -> web.Response:
    error = {"error": {"code": "ConversationNotFound", "message": "no such conversation"}}
    return web.json_response(error, status=404)


def _not_in_roster() -> web.Response:
    error = {"error": {"code": "BotNotInConversationRoster", "message": "bot is not a member"}}
    return web.json_response(error, status=403)


@contextmanager
def serve(fake: FakeBotConnector) -> Iterator[ThreadedServer]:
    with ThreadedServer(fake.app()) as server:
        yield server
