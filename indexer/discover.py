"""Stage 1: find the files of a source.

Symbolic links are never followed out of the source folder, and folder links are not followed
at all, so a link loop cannot make discovery run forever.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from indexer.records import FileError, Source, SourceFile, relative_id

OUTSIDE = "symbolic link to a file outside the source folder; not followed"


def discover_files(source: Source) -> Iterator[SourceFile | FileError]:
    """Every regular, non-hidden file under the source root, in a stable order.

    A link to a file outside the root is reported (as skipped), never read.
    """
    root = source.path
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(folder, name)
            if name.startswith(".") or not path.is_file():
                continue  # hidden, a dangling link, a link to a folder, a device
            relative = relative_id(root, path)
            if not is_inside(root, path):
                yield FileError(relative, OUTSIDE, kind="skipped")
                continue
            yield SourceFile(source=source, path=path, relative=relative)


def is_inside(root: Path, path: Path) -> bool:
    """True when `path`, with every symbolic link resolved, lies under `root`."""
    try:
        return path.resolve(strict=True).is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a dangling link or a link loop
        return False
