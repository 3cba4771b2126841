"""Streaming an answer in a Teams 1:1 chat (the only place Teams allows it).

First an informative update ("Searching the handbook…"), then `typing` activities with a
`streaminfo` entity: `streamType: streaming`, an increasing `streamSequence` and the whole
text so far each time, paced by the chat layer's `PacedText` (at least
DESKMATE_STREAM_INTERVAL apart, the next only after the previous one succeeded). A `message`
with `streamType: final` and no sequence number ends it. Teams drops a stream after two
minutes, so partial updates stop before that; the final message is always sent, outside the
stream if Teams refuses it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from adapters.chat.pacing import PacedText
from adapters.teams.answers import JsonEntity
from adapters.teams.sdk import Activity, ActivityTypes, ResourceResponse, TurnContext

log = logging.getLogger(__name__)

STREAM_LIMIT_S = 110.0  # Teams ends a stream after two minutes; leave room for the final one
STREAMINFO = "streaminfo"


class TeamsStream:
    def __init__(
        self,
        context: TurnContext,
        interval: float,
        *,
        limit_s: float = STREAM_LIMIT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._context = context
        self._clock = clock
        self._until = clock() + limit_s
        self._id: str | None = None
        self._sequence = 0
        self._streamed = ""
        self._paced = PacedText(self._stream, interval, clock=clock)

    async def inform(self, text: str) -> None:
        """The informative update that opens the stream; its activity id names the stream."""
        response = await self._send_typing(text, "informative")
        self._id = response.id if response else None

    async def on_text(self, text: str) -> None:
        if self._id is not None and self._clock() < self._until:
            await self._paced.on_text(text)

    async def _stream(self, text: str) -> None:
        if not text.startswith(self._streamed):
            return  # each update must hold the previous ones; the final message follows
        await self._send_typing(text, "streaming")
        self._streamed = text

    async def _send_typing(self, text: str, kind: str) -> ResourceResponse | None:
        self._sequence += 1
        info: dict[str, Any] = {
            "type": STREAMINFO,
            "streamType": kind,
            "streamSequence": self._sequence,
        }
        if self._id:
            info["streamId"] = self._id
        typing = Activity(type=ActivityTypes.typing, text=text, entities=[JsonEntity(info)])
        return await self._context.send_activity(typing)

    async def finish(self, answer: Activity) -> ResourceResponse | None:
        """End the stream with the answer (a `message`, `streamType: final`)."""
        await self._paced.close()
        if self._id is None:
            return await self._context.send_activity(answer)
        own = list(answer.entities or [])
        final = {"type": STREAMINFO, "streamId": self._id, "streamType": "final"}
        answer.entities = [*own, JsonEntity(final)]
        try:
            return await self._context.send_activity(answer)
        except Exception as exc:  # e.g. the stream timed out: the answer still arrives
            log.warning("Teams refused the end of a stream (%s); sending the answer alone", exc)
            answer.entities = own
            return await self._context.send_activity(answer)
