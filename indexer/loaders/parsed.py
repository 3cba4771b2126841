"""What a format loader reads from a file, and how it becomes a `LoadedDocument`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

from bot.errors import EmptyFile, LoadError
from indexer.records import Section


@dataclass(frozen=True)
class Parsed:
    """A file's own title (when the format carries one), its sections, and its own date."""

    title: str | None
    sections: tuple[Section, ...]
    updated_at: datetime | None = None


def title_from_stem(path: Path) -> str:
    """`pto-policy_v2.pdf` -> "pto policy v2": the fallback title when a file names none."""
    words = path.stem.replace("_", " ").replace("-", " ").split()
    return " ".join(words) or path.name


def join_url(base_url: str, *parts: str) -> str:
    """`base_url` with URL-quoted path `parts` appended, one slash between each."""
    return "/".join([base_url.rstrip("/"), *(quote(part.strip("/")) for part in parts)])


def modified_at(path: Path) -> datetime:
    """The file's modification time, timezone-aware UTC."""
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    except OSError as exc:
        raise LoadError(f"could not read file ({exc.strerror or exc})") from exc


def require_content(path: Path) -> None:
    """Raise LoadError unless `path` is a readable, non-empty file."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LoadError(f"could not read file ({exc.strerror or exc})") from exc
    if size == 0:
        raise EmptyFile("file is empty")


def as_utc(value: datetime | date | None) -> datetime | None:
    """A date or datetime read from file metadata, as timezone-aware UTC (naive counts as UTC)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def require_text(sections: tuple[Section, ...], reason: str) -> tuple[Section, ...]:
    """`sections`, or `EmptyFile` with `reason` when none of them holds any text."""
    if not any(section.text.strip() for section in sections):
        raise EmptyFile(reason)
    return sections
