"""The LLM relevance pass: with a chat model configured, it reads the fused candidates and
says which help answer the question, best first (`DESKMATE_LLM_RERANK=true`)."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.llm import ChatModel
from bot.models import Chunk
from bot.prompts import NONE_RELEVANT, RERANK_SYSTEM, rerank_user_message

log = logging.getLogger(__name__)

NUMBER = re.compile(r"\d{1,3}")


@dataclass(frozen=True)
class Judged:
    chunks: tuple[Chunk, ...]  # the helpful passages first, then the others in fused order
    none_relevant: bool


async def llm_rerank(chat: ChatModel, question: str, candidates: Sequence[Chunk]) -> Judged:
    """Reorder `candidates` by the model's judgement; on any failure keep the fused order."""
    if not candidates:
        return Judged((), False)
    try:
        reply = await chat.complete(RERANK_SYSTEM, rerank_user_message(question, candidates))
    except Exception as exc:
        log.warning("relevance pass failed (%s); keeping the fused order", type(exc).__name__)
        return Judged(tuple(candidates), False)
    return judged(reply, candidates)


def judged(reply: str, candidates: Sequence[Chunk]) -> Judged:
    """Apply the model's reply: listed passage numbers first, unknown numbers ignored."""
    if reply.strip().upper() == NONE_RELEVANT:
        return Judged(tuple(candidates), True)
    chosen = [int(n) for n in NUMBER.findall(reply) if 1 <= int(n) <= len(candidates)]
    order = list(dict.fromkeys(chosen))
    if not order:  # an answer we cannot read says nothing: keep the fused order
        return Judged(tuple(candidates), False)
    first = [candidates[n - 1] for n in order]
    rest = [c for i, c in enumerate(candidates, start=1) if i not in set(order)]
    return Judged(tuple(first + rest), False)
