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


class LeakWatch:
    """`may_be_repeating_instructions` for a stream's growing text, checking only what is new.

    Checking the whole text at every piece is quadratic: a 5,000-word reply streamed a word at
    a time took ten seconds of checks. Each call looks at the new text and the few words before
    it that a four-word run could span."""

    def __init__(self) -> None:
        self._text = ""
        self.leaked = False

    def seen(self, text: str) -> bool:
        """Whether the stream, now `text`, may be repeating our instructions."""
        if not self.leaked:
            start = _tail_start(self._text) if text.startswith(self._text) else 0
            self.leaked = may_be_repeating_instructions(text[start:])
        self._text = text
        return self.leaked


def _tail_start(checked: str) -> int:
    """Where the last few whole words of `checked` begin: enough to finish any shingle."""
    start = len(checked.rstrip())
    for _ in range(_SHINGLE_WORDS):
        start = checked.rfind(" ", 0, start)
        if start <= 0:
            return 0
        start = len(checked[:start].rstrip())
    return start


def problem_with(reply: str, prompt: str) -> ReplyProblem | None:
    """Why `reply` must not be sent, given the user `prompt` (question and passages)."""
    if repeats_instructions(reply):
        return "repeats_instructions"
    if invented(prompt, reply, CHECKED_FACTS):
        return "invents_facts"
    return None
