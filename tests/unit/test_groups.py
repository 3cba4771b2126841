from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.groups import Directory
from bot.models import EVERYONE, Asker

DIRECTORY = Directory({"hr": {"U0HR", "dana@acme.example"}, "eng": {"U0ENG", "U0HR"}})


def test_everyone_belongs_to_everyone() -> None:
    assert DIRECTORY.groups_of(Asker("U0NOBODY")) == {EVERYONE}


def test_groups_are_found_by_user_id_or_email() -> None:
    assert DIRECTORY.groups_of(Asker("U0HR")) == {EVERYONE, "hr", "eng"}
    assert DIRECTORY.groups_of(Asker("T-123", email="Dana@acme.example")) == {EVERYONE, "hr"}


def test_a_missing_file_means_no_groups_and_a_broken_one_is_a_clear_error(tmp_path: Path) -> None:
    assert Directory.from_file(tmp_path / "none.yaml").groups_of(Asker("x")) == {EVERYONE}
    broken = tmp_path / "groups.yaml"
    broken.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="must map group names"):
        Directory.from_file(broken)
