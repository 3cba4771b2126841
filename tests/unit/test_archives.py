"""Zip exports are checked before anything is extracted; unsafe entries are never written."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest

from bot.errors import ConfigError
from indexer.archives import extract_zip
from indexer.limits import MB, Limits
from tests.fixtures.hostile import unsafe_zip, zip_bomb


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The zip of issue 11: about 2 MB holding 2 GiB of zeros."""
    return zip_bomb(tmp_path_factory.mktemp("bomb") / "bomb.zip", gib=2)


def _disk_used(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def test_a_zip_bomb_is_refused_in_milliseconds_and_writes_nothing(
    bomb: Path, tmp_path: Path
) -> None:
    target = tmp_path / "extracted" / "bomb"

    started = time.perf_counter()
    with pytest.raises(ConfigError, match="DESKMATE_ZIP_MAX_RATIO") as refused:
        extract_zip(bomb, target, Limits())
    seconds = time.perf_counter() - started

    assert "nothing extracted" in str(refused.value)
    assert seconds < 5  # the check reads the zip's directory, not its 2 GiB
    assert not target.exists()
    assert bomb.stat().st_size < 3 * MB


def test_a_zip_over_the_total_size_limit_is_refused(bomb: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="DESKMATE_ZIP_MAX_MB"):
        extract_zip(bomb, tmp_path / "out", Limits(zip_max_bytes=1024 * MB, zip_max_ratio=1e9))

    assert not (tmp_path / "out").exists()


def test_a_zip_with_too_many_entries_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for n in range(30):
            zf.writestr(f"page-{n}.md", f"# Page {n}\n\nText.")

    with pytest.raises(ConfigError, match=r"30 entries.*DESKMATE_ZIP_MAX_ENTRIES"):
        extract_zip(archive, tmp_path / "out", Limits(zip_max_entries=20))


def test_unsafe_entries_are_refused_and_reported_and_the_rest_extracted(tmp_path: Path) -> None:
    archive = unsafe_zip(tmp_path / "export.zip", {"kb/pto.md": "# PTO\n\n20 days a year."})
    target = tmp_path / "extracted" / "export"

    root, refused = extract_zip(archive, target, Limits())

    assert (root / "pto.md").read_text().startswith("# PTO")
    assert {(e.path, e.reason) for e in refused} == {
        ("../escaped.md", "zip entry refused: path leaves the archive (`..`)"),
        ("/etc/absolute.md", "zip entry refused: absolute path"),
        ("link-to-passwd.md", "zip entry refused: symbolic link"),
    }
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert written == {"export.zip", "extracted/export/kb/pto.md"}


def test_a_corrupt_zip_is_a_clear_error(tmp_path: Path) -> None:
    archive = tmp_path / "broken.zip"
    archive.write_bytes(b"PK\x03\x04 this is not really a zip")

    with pytest.raises(ConfigError, match="not a valid zip file"):
        extract_zip(archive, tmp_path / "out", Limits())
