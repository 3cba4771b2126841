"""Where an answer appears while it is being written, and how it ends up there.

`NativeStream`: Slack's own streaming (`chat.startStream` -> `chat.appendStream` ->
`chat.stopStream`); the stop carries the sources and feedback blocks. In a channel it names
the recipient (`recipient_user_id` / `recipient_team_id`), as Slack requires there.

`UpdatedMessage`: the fallback where streaming is refused (older workspaces, an error):
"looking it up" is posted and then replaced, `chat.update` being a Tier 3 method (about 50
calls a minute per workspace), so partial updates share one budget and are best effort.

Both pace partial text with the chat layer's `PacedText`; either way the final answer is
always sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from slack_sdk.web.async_client import AsyncWebClient

from adapters.chat.pacing import PacedText, Send
from adapters.slack.questions import Place
from adapters.slack.render import MARKDOWN_LIMIT, Block, Message, partial_message, to_markdown
from bot import texts

log = logging.getLogger(__name__)

TIER3_PER_MINUTE = 50
UPDATE_INTERVAL_S = 1.5

Clock = Callable[[], float]
PacerFactory = Callable[[Send], PacedText]


class UpdateBudget:
    """A token bucket shared by every streaming message of one workspace."""

    def __init__(self, per_minute: int = TIER3_PER_MINUTE, clock: Clock = time.monotonic) -> None:
        self._capacity = float(per_minute)
        self._rate = per_minute / 60.0
        self._tokens = float(per_minute)
        self._clock = clock
        self._at = clock()

    def take(self) -> bool:
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class Target(Protocol):
    """A message an answer is written into."""

    ts: str
    root_ts: str  # the thread that holds the conversation (its memory key)

    async def on_text(self, text: str) -> None: ...

    async def finish(self, messages: list[Message]) -> None: ...

    async def fail(self, message: Message) -> None: ...


def streamable(message: Message) -> tuple[str, list[Block]] | None:
    """A message that is one `markdown` block and blocks under it: its text and the rest."""
    first, *rest = message.blocks or [{}]
    if first.get("type") != "markdown" or any(b.get("type") == "markdown" for b in rest):
        return None
    return str(first["text"]), rest


class NativeStream:
    """An answer streamed with `chat.startStream` / `appendStream` / `stopStream`."""

    def __init__(
        self,
        client: AsyncWebClient,
        channel: str,
        ts: str,
        thread_ts: str | None,
        pacer: PacerFactory,
    ) -> None:
        self._client = client
        self._channel = channel
        self._thread = Place(channel, thread_ts, private=False)
        self.ts = ts
        self.root_ts = thread_ts or ts
        self._streamed = ""
        self._paced = pacer(self._append)

    @classmethod
    async def start(
        cls,
        client: AsyncWebClient,
        place: Place,
        thread_ts: str | None,
        recipient: tuple[str, str] | None,
        pacer: PacerFactory,
    ) -> NativeStream:
        """Open the stream, or raise `SlackApiError` when Slack refuses it."""
        user, team = recipient or (None, None)
        started = await client.chat_startStream(
            channel=place.channel,
            thread_ts=thread_ts,  # type: ignore[arg-type]  # None: top level of a channel
            recipient_user_id=user,
            recipient_team_id=team,
        )
        ts = str(started["ts"])
        return cls(client, place.channel, ts, thread_ts, pacer)

    async def on_text(self, text: str) -> None:
        await self._paced.on_text(text)

    async def _append(self, text: str) -> None:
        shown = to_markdown(text)
        if not shown.startswith(self._streamed) or len(shown) > MARKDOWN_LIMIT:
            return  # a rewritten start or too long: the final answer replaces it
        delta = shown[len(self._streamed) :]
        if delta:
            await self._client.chat_appendStream(
                channel=self._channel, ts=self.ts, markdown_text=delta
            )
            self._streamed = shown

    async def finish(self, messages: list[Message]) -> None:
        """Stop with the rest of the text and the sources and feedback; an answer that is
        not the streamed text continued, or too long for one message, replaces it."""
        await self._paced.close()
        first, *more = messages
        parts = streamable(first)
        if parts is not None and not more and parts[0].startswith(self._streamed):
            body, tail = parts
            rest = body[len(self._streamed) :]
            await self._client.chat_stopStream(
                channel=self._channel, ts=self.ts, markdown_text=rest or None, blocks=tail
            )
            return
        await self._client.chat_stopStream(channel=self._channel, ts=self.ts)
        await self._client.chat_update(
            channel=self._channel, ts=self.ts, text=first.text, blocks=first.blocks
        )
        await _post_more(self._client, self._thread, more)

    async def fail(self, message: Message) -> None:
        """The error replaces whatever was streamed."""
        try:
            await self._client.chat_stopStream(channel=self._channel, ts=self.ts)
        except Exception as exc:
            log.info("could not stop the stream before showing an error: %s", exc)
        await self._client.chat_update(
            channel=self._channel, ts=self.ts, text=message.text, blocks=message.blocks
        )


class UpdatedMessage:
    """The fallback: "looking it up" posted at once, then replaced by the answer."""

    def __init__(self, client: AsyncWebClient, place: Place, ts: str, pacer: PacerFactory) -> None:
        self._client = client
        self._place = place
        self._channel = place.channel
        self.ts = ts
        self.root_ts = place.thread_ts or ts
        self._paced = pacer(self._update)

    @classmethod
    async def post(
        cls, client: AsyncWebClient, place: Place, pacer: PacerFactory
    ) -> UpdatedMessage:
        posted = await client.chat_postMessage(
            channel=place.channel, thread_ts=place.thread_ts, text=texts.LOOKING_UP
        )
        return cls(client, place, str(posted["ts"]), pacer)

    @property
    def updates(self) -> int:
        return self._paced.sent

    async def on_text(self, text: str) -> None:
        await self._paced.on_text(text)

    async def _update(self, text: str) -> None:
        message = partial_message(text)
        await self._client.chat_update(
            channel=self._channel, ts=self.ts, text=message.text, blocks=message.blocks
        )

    async def finish(self, messages: list[Message]) -> None:
        await self._paced.close()  # a partial update in flight cannot overwrite the answer
        first, *more = messages
        await self._client.chat_update(
            channel=self._channel, ts=self.ts, text=first.text, blocks=first.blocks
        )
        await _post_more(self._client, self._place, more)

    async def fail(self, message: Message) -> None:
        await self._client.chat_update(
            channel=self._channel, ts=self.ts, text=message.text, blocks=message.blocks
        )


async def _post_more(client: AsyncWebClient, place: Place, messages: list[Message]) -> None:
    for message in messages:
        await client.chat_postMessage(
            channel=place.channel,
            thread_ts=place.thread_ts,
            text=message.text,
            blocks=message.blocks,
        )
