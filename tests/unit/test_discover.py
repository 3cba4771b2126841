"""Discovery never follows a symbolic link out of the source folder, nor into a loop."""

from __future__ import annotations

from pathlib import Path

from indexer.discover import OUTSIDE, discover_files
from indexer.records import FileError, Source, SourceFile


def _found(root: Path) -> tuple[list[str], list[FileError]]:
    items = list(discover_files(Source(name="kb", kind="files", path=root)))
    return (
        [i.relative for i in items if isinstance(i, SourceFile)],
        [i for i in items if isinstance(i, FileError)],
    )


def test_links_out_of_the_source_are_reported_and_not_followed(tmp_path: Path) -> None:
    root, outside = tmp_path / "kb", tmp_path / "private"
    (root / "hr").mkdir(parents=True)
    outside.mkdir()
    (outside / "salaries.csv").write_text("name,salary\nAda,1\n")
    (root / "hr" / "pto.md").write_text("# PTO")
    (root / "salaries.csv").symlink_to(outside / "salaries.csv")
    (root / "private").symlink_to(outside, target_is_directory=True)
    (root / "pto-link.md").symlink_to(root / "hr" / "pto.md")

    files, errors = _found(root)

    assert files == ["pto-link.md", "hr/pto.md"]
    assert errors == [FileError("salaries.csv", OUTSIDE, kind="skipped")]


def test_a_symlink_loop_does_not_stop_discovery(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    (root / "a").mkdir(parents=True)
    (root / "a" / "doc.md").write_text("# Doc")
    (root / "a" / "loop").symlink_to(root, target_is_directory=True)
    (root / "self.md").symlink_to(root / "self.md")  # a link to itself

    files, errors = _found(root)

    assert files == ["a/doc.md"]
    assert errors == []
