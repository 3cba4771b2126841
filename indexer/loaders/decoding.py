"""Reading text files whose encoding nobody wrote down."""

from __future__ import annotations

from pathlib import Path

from bot.errors import EmptyFile, LoadError

_PROBE_BYTES = 8192


def read_text(path: Path) -> str:
    """The file's text: UTF-8 (with or without BOM), else Latin-1 for older exports.

    Raises LoadError when the file is empty, holds only whitespace, or looks binary.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"could not read file ({exc.strerror or exc})") from exc
    if not data.strip():
        raise EmptyFile("file is empty")
    if b"\x00" in data[:_PROBE_BYTES]:
        raise LoadError("could not decode text as UTF-8 or Latin-1 (the file looks binary)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")
