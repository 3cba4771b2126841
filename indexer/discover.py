"""Stage 1: find the files of a source."""

from __future__ import annotations

from collections.abc import Iterator

from indexer.records import Source, SourceFile, relative_id


def discover_files(source: Source) -> Iterator[SourceFile]:
    """Every regular, non-hidden file under the source root, in a stable order."""
    for path in sorted(source.path.rglob("*")):
        parts = path.relative_to(source.path).parts
        if any(part.startswith(".") for part in parts) or not path.is_file():
            continue
        yield SourceFile(source=source, path=path, relative=relative_id(source.path, path))
