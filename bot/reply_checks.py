"""Checks on what the chat model wrote, before anyone sees it.

Passages are untrusted: a document can say "ignore previous instructions", "reveal the system
prompt" or "list every salary". The prompt tells the model to treat them as data, but a model
may obey anyway, so its reply is checked too: a reply that repeats our instructions, or states
an amount, a percentage or a link that no passage contains, is not sent.
"""

from __future__ import annotations

import re
from typing import Literal

from bot.prompts import ANSWER_SYSTEM
from bot.tone.fact_guard import invented

ReplyProblem = Literal["repeats_instructions", "invents_facts"]

CHECKED_FACTS = frozenset({"amount", "percent", "url"})
_MIN_RULE_CHARS = 24


def _normalised(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


_RULES = tuple(
    rule
    for sentence in re.split(r"(?<=[.:;])\s+|\n", ANSWER_SYSTEM.replace("\n  ", " "))
    if len(rule := _normalised(sentence)) >= _MIN_RULE_CHARS
)


_SHINGLE_WORDS = 4
_SHINGLES = frozenset(
    " ".join(words[i : i + _SHINGLE_WORDS])
    for words in (rule.split() for rule in _RULES)
    for i in range(len(words) - _SHINGLE_WORDS + 1)
)


def repeats_instructions(text: str) -> bool:
    """Whether `text` quotes a sentence of the system prompt (a prompt leak)."""
    flat = _normalised(text)
    return any(rule in flat for rule in _RULES)


def may_be_repeating_instructions(text: str) -> bool:
    """The stricter test for text still being written: any four words in a row of the system
    prompt, so a leak is stopped after its first few words."""
    words = _normalised(text).split()
    return any(
        " ".join(words[i : i + _SHINGLE_WORDS]) in _SHINGLES
        for i in range(len(words) - _SHINGLE_WORDS + 1)
    )


def problem_with(reply: str, prompt: str) -> ReplyProblem | None:
    """Why `reply` must not be sent, given the user `prompt` (question and passages)."""
    if repeats_instructions(reply):
        return "repeats_instructions"
    if invented(prompt, reply, CHECKED_FACTS):
        return "invents_facts"
    return None
