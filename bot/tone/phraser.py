"""The tone model at answer time: it phrases, the fact guard decides whether that phrasing ships.

rewrite mode: the chat model drafts a grounded answer, the tone model rewrites it in the house
voice, and the draft is sent instead whenever the rewrite lost a fact or invented a number.
direct mode: the tone model answers from the passages itself in one call; an answer stating a
number or link the passages do not contain is thrown away and the chat model answers instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal, Protocol

from bot.errors import ConfigError
from bot.llm import ChatModel, OnText
from bot.prompts import NO_ANSWER
from bot.settings import ModelSettings
from bot.tone.fact_guard import NUMERIC_KINDS, FactCheck, compare, invented
from bot.tone.metrics import FALLBACKS, PHRASED
from bot.tone.prompts import TONE_SYSTEM, rewrite_user_message

log = logging.getLogger(__name__)

Mode = Literal["rewrite", "direct"]


class TextModel(Protocol):
    """What the phraser needs from a model; `bot.llm.ChatModel` is one."""

    model: str

    async def complete(self, system: str, user: str, on_text: OnText | None = None) -> str: ...


@dataclass(frozen=True)
class Phrasing:
    """The text to send, and whether it is the tone model's (else the draft, for `reason`).

    `candidate` is what the tone model wrote, sent or not."""

    text: str
    phrased: bool
    check: FactCheck = field(default_factory=FactCheck)
    reason: str | None = None
    candidate: str = ""


class Phraser:
    def __init__(self, model: TextModel, mode: Mode = "rewrite") -> None:
        self._model = model
        self.mode: Mode = mode

    @classmethod
    def from_settings(cls, settings: ModelSettings) -> Phraser | None:
        """The configured tone model, or None when `DESKMATE_TONE_MODEL` is not set."""
        if not settings.tone_model:
            return None
        if not settings.llm_configured:
            raise ConfigError(
                "DESKMATE_TONE_MODEL is set but OPENAI_API_KEY is not; "
                "set OPENAI_API_KEY or unset DESKMATE_TONE_MODEL"
            )
        return cls(ChatModel(settings, model=settings.tone_model), settings.tone_mode)

    @property
    def model(self) -> str:
        return self._model.model

    async def rewrite(self, question: str, draft: str) -> Phrasing:
        """The draft in the house voice, or the draft itself if the rewrite fails the guard."""
        try:
            reply = await self._model.complete(TONE_SYSTEM, rewrite_user_message(question, draft))
        except Exception as exc:
            return self._keep(draft, "error", FactCheck(), type(exc).__name__)
        text = reply.strip()
        if not text or text == NO_ANSWER:
            return self._keep(draft, "empty", FactCheck(), "no text")
        check = compare(draft, text)
        if not check.ok:
            reason = "lost_fact" if check.lost else "invented_fact"
            return self._keep(draft, reason, check, check.describe(), text)
        PHRASED.labels(mode="rewrite").inc()
        return Phrasing(text, phrased=True, check=check, candidate=text)

    async def answer(self, system: str, user: str) -> str | None:
        """Direct mode: the tone model's own grounded reply to `user` (passages + question).

        None when the call fails or the reply states a number, date, amount or link that the
        passages do not contain; the caller then asks the chat model."""
        try:
            reply = await self._model.complete(system, user)
        except Exception as exc:
            self._count("direct", "error", type(exc).__name__)
            return None
        if not reply.strip():
            self._count("direct", "empty", "no text")
            return None
        new = invented(user, reply, NUMERIC_KINDS | {"url"})
        if new:
            self._count("direct", "invented_fact", "invented " + ", ".join(map(str, new)))
            return None
        PHRASED.labels(mode="direct").inc()
        return reply

    def _keep(
        self, draft: str, reason: str, check: FactCheck, detail: str, candidate: str = ""
    ) -> Phrasing:
        self._count("rewrite", reason, detail)
        return Phrasing(draft, phrased=False, check=check, reason=reason, candidate=candidate)

    def _count(self, mode: Mode, reason: str, detail: str) -> None:
        FALLBACKS.labels(mode=mode, reason=reason).inc()
        log.warning(
            "tone model %s output not used (%s: %s); sending the %s instead",
            self.model,
            reason,
            detail,
            "draft" if mode == "rewrite" else "chat model's answer",
        )
