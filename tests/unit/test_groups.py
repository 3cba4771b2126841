from pathlib import Path

import pytest

from bot.audience import Audience
from bot.errors import ConfigError
from bot.groups import Directory
from bot.models import EVERYONE, Asker

DIRECTORY = Directory({"hr": {"U0HR", "dana@acme.example"}, "eng": {"U0ENG", "U0HR"}})


def test_everyone_belongs_to_everyone() -> None:
    assert DIRECTORY.groups_of(Asker("U0NOBODY")) == {EVERYONE}


def test_groups_are_found_by_user_id_or_email() -> None:
    assert DIRECTORY.groups_of(Asker("U0HR")) == {EVERYONE, "hr", "eng"}
    assert DIRECTORY.groups_of(Asker("T-123", email="Dana@acme.example")) == {
        EVERYONE,
        "hr",
        "user:dana@acme.example",
    }


def test_an_asker_with_a_known_email_is_addressable_as_user_email() -> None:
    assert DIRECTORY.groups_of(Asker("U0NEW", email="Lee@Acme.example")) == {
        EVERYONE,
        "user:lee@acme.example",
    }


async def test_people_named_by_email_share_a_channel_only_with_themselves() -> None:
    lee = Asker("U1", email="lee@acme.example")
    audience = Audience(DIRECTORY)

    assert "user:lee@acme.example" in await audience.shared(lee, [lee])
    assert await audience.shared(lee, [lee, Asker("U2", email="kim@acme.example")]) == {EVERYONE}


def test_a_missing_file_means_no_groups_and_a_broken_one_is_a_clear_error(tmp_path: Path) -> None:
    assert Directory.from_file(tmp_path / "none.yaml").groups_of(Asker("x")) == {EVERYONE}
    broken = tmp_path / "groups.yaml"
    broken.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="must map group names"):
        Directory.from_file(broken)
