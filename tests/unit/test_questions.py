"""The question rule every entry point shares, and mass mentions defused wherever we post."""

from __future__ import annotations

import pytest

from bot.errors import UnusableQuestion
from bot.mentions import without_mass_mentions
from bot.questions import checked, clean


def test_invisible_characters_go_and_whitespace_becomes_single_spaces() -> None:
    text = "How\u200b many\x00 vacation\u202e days?\n\n\tdo I get\ud800"

    assert clean(text) == "How many vacation days? do I get?"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("   \n\t ", id="whitespace"),
        pytest.param("🎉🎉🙏", id="only emoji"),
        pytest.param("??? !!! ...", id="only punctuation"),
        pytest.param("\u200b\u200d\ufeff", id="only invisible characters"),
    ],
)
def test_a_question_without_letters_or_digits_is_empty(text: str) -> None:
    with pytest.raises(UnusableQuestion) as raised:
        checked(text, 2000)

    assert raised.value.kind == "empty"


@pytest.mark.parametrize(
    "text",
    [
        "休暇は何日もらえますか?",
        "Сколько дней отпуска?",
        "كم يوم إجازة؟",
        "छुट्टी के कितने दिन?",
        "Wie viele Urlaubstage? 🏖️",
    ],
)
def test_questions_in_any_script_are_kept_as_written(text: str) -> None:
    assert checked(text, 2000) == text


def test_a_question_over_the_limit_is_too_long_and_one_at_it_is_fine() -> None:
    with pytest.raises(UnusableQuestion) as raised:
        checked("why " * 12_800, 2000)  # a 50 KB paste

    assert raised.value.kind == "too_long"
    assert checked("a" * 2000, 2000) == "a" * 2000


def test_injection_attempts_are_just_text() -> None:
    sql = "'; DROP TABLE documents; -- what is the ESPP discount?"

    assert checked(sql, 2000) == sql


@pytest.mark.parametrize("ping", ["@here", "@channel", "@everyone", "@Everyone", "@all"])
def test_mass_mentions_are_defused_but_look_the_same(ping: str) -> None:
    defused = without_mass_mentions(f"Hey {ping}, read this")

    assert ping not in defused
    assert defused.replace("\u2060", "") == f"Hey {ping}, read this"


def test_email_addresses_and_ordinary_mentions_are_left_alone() -> None:
    text = "Write to team@all.example or ask @dana and @hereford"

    assert without_mass_mentions(text) == text
