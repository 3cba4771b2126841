"""How much one file may cost the indexer: size, text, parse time, memory, nesting, zip archives.

Every limit is a setting (`DESKMATE_MAX_FILE_MB` and the others in `.env.example`) with a
default that leaves real exports alone; a file over a limit is reported with the limit's name.
`Limits` travels to the parse workers, which read the HTML depth through `current_limits()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the parse workers start without the settings machinery
    from bot.settings import IndexingSettings

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    parse_workers: int = 2
    parse_timeout: float = 120.0
    parse_memory_bytes: int = 2048 * MB  # 0: unlimited
    max_file_bytes: int = 200 * MB
    max_text_chars: int = 10_000_000
    html_max_depth: int = 1000
    zip_max_bytes: int = 8192 * MB
    zip_max_ratio: float = 200.0
    zip_max_entries: int = 200_000

    @classmethod
    def from_settings(cls, settings: IndexingSettings) -> Limits:
        return cls(
            parse_workers=settings.parse_workers,
            parse_timeout=settings.parse_timeout,
            parse_memory_bytes=settings.parse_memory_mb * MB,
            max_file_bytes=int(settings.max_file_mb * MB),
            max_text_chars=settings.max_text_chars,
            html_max_depth=settings.html_max_depth,
            zip_max_bytes=int(settings.zip_max_mb * MB),
            zip_max_ratio=settings.zip_max_ratio,
            zip_max_entries=settings.zip_max_entries,
        )


DEFAULT_LIMITS = Limits()
_current: ContextVar[Limits] = ContextVar("limits", default=DEFAULT_LIMITS)


def current_limits() -> Limits:
    """The limits of the file being parsed (the defaults outside a parse)."""
    return _current.get()


@contextmanager
def applied(limits: Limits) -> Iterator[None]:
    token = _current.set(limits)
    try:
        yield
    finally:
        _current.reset(token)


def describe_bytes(size: float) -> str:
    return f"{size / MB:,.1f} MB" if size >= MB / 10 else f"{size:,.0f} bytes"
