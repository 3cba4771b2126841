"""A fake OpenAI-compatible API for tests: the real `openai` client talks to it over HTTP.

It records every request and answers chat completions from a script: each scripted reply is
text (streamed when the client asks for a stream), an HTTP error status, a delay, a body that
is not a completion at all (`garbage`), or a response that never ends (`endless`: a stream of
words forever, or a body trickled a byte at a time, so no read timeout ever fires).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.http_server import ThreadedServer


@dataclass
class Reply:
    text: str = ""
    status: int = 200
    delay: float = 0.0
    garbage: bool = False
    endless: bool = False
    word_delay: float = 0.0  # seconds between streamed words, as a model writing


GARBAGE = b"<html><body><h1>502 Bad Gateway</h1>upstream sent \x00\xff nonsense</body></html>"
TRICKLE_S = 0.05


@dataclass
class FakeOpenAI:
    """State shared by the handlers; tests script replies and read `requests`."""

    replies: list[Reply] = field(default_factory=list)
    default: Reply = field(default_factory=lambda: Reply("I don't have a scripted reply."))
    requests: list[dict[str, Any]] = field(default_factory=list)
    extra_routes: list[web.RouteDef] = field(default_factory=list)

    def script(self, *replies: Reply | str) -> None:
        self.replies.extend(r if isinstance(r, Reply) else Reply(r) for r in replies)

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests if r["path"].endswith("/chat/completions")]

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_routes(self.extra_routes)
        return app

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(
            {"path": request.path, "body": body, "auth": request.headers.get("Authorization")}
        )
        reply = self.replies.pop(0) if self.replies else self.default
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.status != 200:
            return web.json_response(
                {"error": {"message": "scripted failure", "type": "server_error"}},
                status=reply.status,
            )
        if reply.garbage:
            return web.Response(body=GARBAGE, content_type="text/html")
        if reply.endless:
            return await self._endless(request, body)
        if body.get("stream"):
            return await self._stream(request, body, reply.text, reply.word_delay)
        return web.json_response(_completion(body, reply.text))

    async def _stream(
        self, request: web.Request, body: dict[str, Any], text: str, word_delay: float = 0.0
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        words = text.split(" ")
        for i, word in enumerate(words):
            piece = word if i == 0 else " " + word
            chunk = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
            }
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
            if word_delay:
                await asyncio.sleep(word_delay)
        done = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        }
        await response.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
        await response.write_eof()
        return response

    async def _endless(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        """Never finishes: words forever for a stream, else a JSON body a space at a time."""
        streaming = bool(body.get("stream"))
        kind = "text/event-stream" if streaming else "application/json"
        response = web.StreamResponse(headers={"Content-Type": kind})
        await response.prepare(request)
        if not streaming:
            await response.write(b'{"id": "chatcmpl-fake", ')
        try:
            while True:
                if streaming:
                    chunk = {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": body.get("model", "fake"),
                        "choices": [{"index": 0, "delta": {"content": " more"}}],
                    }
                    await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
                else:
                    await response.write(b" ")
                await asyncio.sleep(TRICKLE_S)
        except (ConnectionError, asyncio.CancelledError):
            return response  # the client gave up, as it should

    async def _embeddings(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append({"path": request.path, "body": body, "auth": None})
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {"object": "embedding", "index": i, "embedding": _fake_vector(str(text))}
            for i, text in enumerate(inputs)
        ]
        return web.json_response(
            {"object": "list", "data": data, "model": body.get("model"), "usage": _usage()}
        )


def _completion(body: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(),
    }


def _usage() -> dict[str, int]:
    return {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}


def _fake_vector(text: str, dims: int = 16) -> list[float]:
    vector = [0.0] * dims
    for word in text.lower().split():
        vector[sum(map(ord, word)) % dims] += 1.0
    norm = sum(v * v for v in vector) ** 0.5 or 1.0
    return [v / norm for v in vector]


def serve(fake: FakeOpenAI) -> ThreadedServer:
    return ThreadedServer(fake.app())
