"""House style without any model: the rules in `tone.yaml`, applied to every answer.

Preferred terms replace their variants, banned phrases go, emoji can be switched off, long
answers end at a sentence boundary, and a greeting and sign-off frame the answer. Links,
citation markers [n], `code` and "quoted text" are never rewritten, and a sentence that states
a fact is never dropped for containing a banned phrase: only the phrase goes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.errors import ConfigError
from bot.tone.fact_guard import facts

PROTECTED = re.compile(r"`[^`\n]*`|https?://\S+|\[\d{1,3}\]|\"[^\"\n]*\"|“[^”\n]*”")
SENTENCE_END = re.compile(r"[.!?](?:[ \t]*\[\d{1,3}\])*(?=\s|$)")
SENTENCES = re.compile(r"((?<=[.!?])[ \t]+|\n)")
EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f1e6-\U0001f1ff\u200d\ufe0f\u2b50\u2b55]"
    r"|(?<!\S):[a-z0-9_+\-]{2,}:(?!\S)"
)
SENTENCE_START = ".!?\n•*-:>"


class HouseStyle(BaseModel):
    """The company's written voice as rules. The defaults change nothing (neutral style)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    glossary: dict[str, list[str]] = Field(default_factory=dict)
    banned: dict[str, str] = Field(default_factory=dict)
    greeting: str = ""
    sign_off: str = ""
    emoji: bool = True
    max_chars: int | None = Field(default=None, ge=80)

    @field_validator("glossary", mode="before")
    @classmethod
    def _variants_as_lists(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("banned", mode="before")
    @classmethod
    def _banned_as_mapping(cls, value: Any) -> Any:
        """`banned` lists phrases to remove and `{phrase: replacement}` pairs to replace."""
        if not isinstance(value, list):
            return value
        mapping: dict[Any, Any] = {}
        for item in value:
            mapping.update(item if isinstance(item, dict) else {item: ""})
        return mapping

    @classmethod
    def load(cls, path: Path) -> HouseStyle:
        """The style in `path`; a missing file is the neutral style."""
        if not path.exists():
            return cls()
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read the house style {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path} must be a mapping; see examples/tone.yaml")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(f"invalid house style {path}: {problems}") from None

    @property
    def neutral(self) -> bool:
        return self == HouseStyle()

    def apply(self, text: str, name: str | None = None) -> str:
        """`text` in house style; `name` fills `{name}` in the greeting."""
        if self.neutral:
            return text
        body = self._use_glossary(text.strip())
        body = self._drop_banned(body)
        if not self.emoji:
            body = _tidy(EMOJI.sub("", body))
        greeting = self._greeting(name, body)
        sign_off = "" if _ends_with(body, self.sign_off) else self.sign_off.strip()
        if self.max_chars:
            frame = sum(len(part) + 2 for part in (greeting, sign_off) if part)
            body = truncate(body, max(self.max_chars - frame, 40))
        return "\n\n".join(part for part in (greeting, body, sign_off) if part)

    def _use_glossary(self, text: str) -> str:
        preferred = {
            variant.casefold(): term
            for term, variants in self.glossary.items()
            for variant in variants
            if variant.strip() and variant.casefold() != term.casefold()
        }
        if not preferred:
            return text
        pattern = _phrases(preferred)
        return _sub_outside(pattern, text, lambda m: _like(m, text, preferred[_key(m.group(0))]))

    def _drop_banned(self, text: str) -> str:
        replaced = {k.casefold(): v for k, v in self.banned.items() if v and k.strip()}
        if replaced:
            text = _sub_outside(
                _phrases(replaced), text, lambda m: _like(m, text, replaced[_key(m.group(0))])
            )
        removed = [k for k, v in self.banned.items() if not v and k.strip()]
        if not removed:
            return text
        pattern = _phrases({k.casefold(): "" for k in removed})
        parts = SENTENCES.split(text)
        kept: list[str] = []
        for sentence, separator in zip(parts[::2], [*parts[1::2], ""], strict=True):
            if pattern.search(sentence):
                if not facts(sentence):
                    continue  # fluff only: the whole sentence goes
                sentence = _strip_phrase(pattern, sentence)
            kept.extend([sentence, separator])
        return _tidy("".join(kept))

    def _greeting(self, name: str | None, body: str) -> str:
        greeting = self.greeting.strip()
        if not greeting:
            return ""
        greeting = greeting.replace("{name}", (name or "").strip())
        greeting = re.sub(r"\s+([!,.?])", r"\1", " ".join(greeting.split()))
        opening = greeting.rstrip("!,.? ").casefold()
        return "" if body.casefold().startswith(opening) else greeting


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, ending at a sentence or line boundary when one fits and
    never inside a citation marker; cut mid-sentence only as a last resort, with "…"."""
    if len(text) <= limit:
        return text
    ends = [m.end() for m in SENTENCE_END.finditer(text, 0, limit + 1)]
    ends += [i for i, char in enumerate(text[: limit + 1]) if char == "\n"]
    if ends and max(ends) > 0:
        return text[: max(ends)].rstrip()
    cut = text[: limit - 1]
    if not text[limit - 1].isspace():  # the cut falls inside a word: drop that word
        cut = cut.rsplit(maxsplit=1)[0] if " " in cut else ""
    return re.sub(r"\s*\[\d{0,3}$", "", cut).rstrip(" ,;:") + "…"


def _phrases(mapping: dict[str, str]) -> re.Pattern[str]:
    alternatives = sorted(mapping, key=len, reverse=True)
    body = "|".join(r"\s+".join(map(re.escape, phrase.split())) for phrase in alternatives)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


def _key(matched: str) -> str:
    return " ".join(matched.split()).casefold()


def _sub_outside(
    pattern: re.Pattern[str], text: str, replace: Callable[[re.Match[str]], str]
) -> str:
    """`pattern.sub` that leaves links, markers, code and quotations alone."""
    spans = [m.span() for m in PROTECTED.finditer(text)]

    def sub(match: re.Match[str]) -> str:
        if any(start < match.end() and match.start() < end for start, end in spans):
            return match.group(0)
        return replace(match)

    return pattern.sub(sub, text)


def _like(match: re.Match[str], text: str, replacement: str) -> str:
    """The replacement, capitalised when it starts a sentence."""
    before = text[: match.start()].rstrip(" \t")
    if replacement and (not before or before[-1] in SENTENCE_START):
        return replacement[0].upper() + replacement[1:]
    return replacement


def _strip_phrase(pattern: re.Pattern[str], sentence: str) -> str:
    stripped = _sub_outside(pattern, sentence, lambda m: "")
    stripped = re.sub(r"^([\s\-*•]*)[\s,;:]+", r"\1", stripped)
    lead = re.match(r"[\s\-*•]*", stripped)
    at = lead.end() if lead else 0
    if stripped != sentence and at < len(stripped):
        stripped = stripped[:at] + stripped[at].upper() + stripped[at + 1 :]
    return stripped


def _ends_with(body: str, sign_off: str) -> bool:
    return bool(sign_off.strip()) and body.rstrip().casefold().endswith(sign_off.strip().casefold())


def _tidy(text: str) -> str:
    text = re.sub(r"(?<=\S)[ \t]{2,}", " ", text)
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
