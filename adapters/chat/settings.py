"""Platform-native AI answers, for Slack and Teams alike: streaming, suggested prompts and
thread context (issue 14)."""

from __future__ import annotations

from functools import cached_property

from pydantic import Field

from bot.settings import Section, env


class NativeSettings(Section):
    streaming: bool = Field(True, validation_alias=env("DESKMATE_NATIVE_STREAMING"))
    stream_interval_s: float = Field(
        1.5, ge=0, le=60, validation_alias=env("DESKMATE_STREAM_INTERVAL")
    )
    suggested_prompts: str = Field("", validation_alias=env("DESKMATE_SUGGESTED_PROMPTS"))
    thread_context_messages: int = Field(
        20, ge=0, le=200, validation_alias=env("DESKMATE_THREAD_CONTEXT_MESSAGES")
    )

    @cached_property
    def prompt_list(self) -> tuple[str, ...]:
        """DESKMATE_SUGGESTED_PROMPTS: prompts separated by `|`; empty: made from titles."""
        return tuple(p.strip() for p in self.suggested_prompts.split("|") if p.strip())
