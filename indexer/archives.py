"""Zip exports, checked before a byte is extracted: a zip bomb is refused and fills no disk.

The limits (`DESKMATE_ZIP_MAX_MB`, `DESKMATE_ZIP_MAX_RATIO`, `DESKMATE_ZIP_MAX_ENTRIES`) are
checked on the archive's directory; while extracting, an entry that inflates past the size it
declared stops the extraction. Unsafe entries (absolute paths, `..`, symbolic links, devices)
are never written: each is reported as that entry's error and the rest is extracted.
"""

from __future__ import annotations

import shutil
import stat
import zipfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from bot.errors import ConfigError
from indexer.limits import Limits, describe_bytes
from indexer.records import FileError

_COPY_BYTES = 1024 * 1024


def extract_zip(archive: Path, target: Path, limits: Limits) -> tuple[Path, tuple[FileError, ...]]:
    """Extract `archive` into `target` (replacing an earlier extraction) once it passes the limits.

    Returns the folder to index and the refused entries; raises ConfigError, having written
    nothing, when the archive is unreadable or over a limit.
    """
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            check_archive(archive, members, limits)
            safe, refused = split_unsafe(members)
            if target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True)
            try:
                for member in safe:
                    _extract(zf, member, target)
            except BaseException:
                shutil.rmtree(target, ignore_errors=True)
                raise
    except zipfile.BadZipFile as exc:
        raise ConfigError(f"{archive} is not a valid zip file") from exc
    except (OSError, EOFError, NotImplementedError) as exc:
        raise ConfigError(f"{archive}: could not extract ({type(exc).__name__}: {exc})") from exc
    return _single_top_folder(target), refused


def check_archive(archive: Path, members: Sequence[zipfile.ZipInfo], limits: Limits) -> None:
    """Raise ConfigError when the archive's directory says it is over a limit."""
    if len(members) > limits.zip_max_entries:
        raise ConfigError(
            f"{archive}: {len(members):,} entries, over the limit of "
            f"{limits.zip_max_entries:,} (DESKMATE_ZIP_MAX_ENTRIES); nothing extracted"
        )
    total = sum(m.file_size for m in members)
    if total > limits.zip_max_bytes:
        raise ConfigError(
            f"{archive}: {describe_bytes(total)} uncompressed, over the limit of "
            f"{describe_bytes(limits.zip_max_bytes)} (DESKMATE_ZIP_MAX_MB); nothing extracted"
        )
    ratio = total / max(archive.stat().st_size, 1)
    if ratio > limits.zip_max_ratio:
        raise ConfigError(
            f"{archive}: expands {ratio:,.0f} times (a zip bomb?), over the limit of "
            f"{limits.zip_max_ratio:g} (DESKMATE_ZIP_MAX_RATIO); nothing extracted"
        )


def split_unsafe(
    members: Sequence[zipfile.ZipInfo],
) -> tuple[list[zipfile.ZipInfo], tuple[FileError, ...]]:
    """The entries safe to write, and an error for each one that is not."""
    safe: list[zipfile.ZipInfo] = []
    refused: list[FileError] = []
    for member in members:
        reason = unsafe_reason(member)
        if reason:
            refused.append(FileError(member.filename, f"zip entry refused: {reason}"))
        else:
            safe.append(member)
    return safe, tuple(refused)


def unsafe_reason(member: zipfile.ZipInfo) -> str | None:
    """Why `member` must not be written, or None when it is safe."""
    name = member.filename.replace("\\", "/")
    kind = stat.S_IFMT(member.external_attr >> 16)  # 0 when the zip records no file type
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    if ".." in PurePosixPath(name).parts:
        return "path leaves the archive (`..`)"
    if kind == stat.S_IFLNK:
        return "symbolic link"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "not a regular file"
    if "\x00" in name:
        return "NUL in its name"
    return None


def _extract(zf: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path) -> None:
    dest = target.joinpath(*PurePosixPath(member.filename.replace("\\", "/")).parts)
    if member.is_dir():
        dest.mkdir(parents=True, exist_ok=True)
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with zf.open(member) as source, dest.open("wb") as out:
        while block := source.read(_COPY_BYTES):
            written += len(block)
            if written > member.file_size:
                raise ConfigError(
                    f"zip entry {member.filename} inflates past the size it declares "
                    f"({describe_bytes(member.file_size)}); extraction stopped"
                )
            out.write(block)


def _single_top_folder(root: Path) -> Path:
    """Confluence zips hold one folder (the space key); index from inside it."""
    entries = [p for p in root.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return root
