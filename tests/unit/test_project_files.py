"""The files around the code say the same as the code: the licence and the version."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_license_file_is_the_licence_pyproject_declares() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]["text"]
    licence = (ROOT / "LICENSE").read_text()

    assert declared == "Apache-2.0"
    assert "Apache License" in licence
    assert "Version 2.0, January 2004" in licence


def test_the_changelog_has_an_entry_for_the_declared_version() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]

    assert f"## [{version}]" in (ROOT / "CHANGELOG.md").read_text()
