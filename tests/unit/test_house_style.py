"""House style from tone.yaml: a company's voice in every answer, even without any model."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.tone.style import HouseStyle, truncate
from tests.conftest import EXAMPLES


def test_a_missing_file_is_the_neutral_style_and_changes_nothing(tmp_path: Path) -> None:
    style = HouseStyle.load(tmp_path / "tone.yaml")

    assert style.neutral
    assert style.apply("  You get 20 days [1].\n") == "  You get 20 days [1].\n"


def test_the_shipped_sample_style_loads() -> None:
    style = HouseStyle.load(EXAMPLES / "tone.yaml")

    assert style.glossary["time off"] == ["PTO", "paid time off", "vacation time"]
    assert style.banned["utilize"] == "use"
    assert style.banned["I hope this helps"] == ""
    assert style.emoji is False


def test_glossary_variants_become_the_preferred_term_capitalised_at_a_sentence_start() -> None:
    style = HouseStyle(glossary={"time off": ["PTO", "paid time off"]})

    text = style.apply("PTO is requested in Workday. You get 20 days of paid time off [1].")

    assert text == "Time off is requested in Workday. You get 20 days of time off [1]."


def test_links_citation_markers_code_and_quotations_are_never_rewritten() -> None:
    style = HouseStyle(glossary={"time off": ["PTO"]})

    text = style.apply('Open "PTO Planner" or `pto-cli` at https://hr.example/PTO [1].')

    assert text == 'Open "PTO Planner" or `pto-cli` at https://hr.example/PTO [1].'


def test_a_banned_phrase_takes_its_sentence_along_unless_that_sentence_states_a_fact() -> None:
    style = HouseStyle.model_validate({"banned": ["I hope this helps", "please note that"]})

    text = style.apply(
        "Please note that carried-over days expire on March 31 [1]. I hope this helps!"
    )

    assert text == "Carried-over days expire on March 31 [1]."


def test_a_banned_phrase_with_a_replacement_is_replaced() -> None:
    style = HouseStyle.model_validate(
        {"banned": [{"utilize": "use"}, {"going forward": "from now on"}]}
    )

    assert style.apply("Going forward, utilize form EXP-7 [1].") == (
        "From now on, use form EXP-7 [1]."
    )


def test_emoji_and_slack_shortcodes_go_when_emoji_are_off() -> None:
    text = "You get 20 days 🎉 of time off [1]. :tada:"

    assert HouseStyle(emoji=False).apply(text) == "You get 20 days of time off [1]."
    assert HouseStyle(emoji=True).apply(text) == text


def test_greeting_with_the_askers_name_and_a_sign_off_frame_the_answer() -> None:
    style = HouseStyle(greeting="Hi {name}!", sign_off="— Deskmate")

    assert style.apply("You get 20 days [1].", name="Ana") == (
        "Hi Ana!\n\nYou get 20 days [1].\n\n— Deskmate"
    )
    assert style.apply("You get 20 days [1].").startswith("Hi!\n\n")


def test_a_greeting_the_answer_already_has_is_not_repeated() -> None:
    style = HouseStyle(greeting="Hi {name}!")

    assert style.apply("Hi Ana! You get 20 days [1].", name="Ana") == "Hi Ana! You get 20 days [1]."


def test_a_long_answer_ends_at_the_last_whole_sentence_that_fits_with_its_citation() -> None:
    style = HouseStyle(max_chars=80)
    text = (
        "You get 20 days a year [1]. Up to 5 carry over [2]. "
        "They expire on March 31 of the next year [2]."
    )

    shortened = style.apply(text)

    assert shortened == "You get 20 days a year [1]. Up to 5 carry over [2]."
    assert len(shortened) <= 80


def test_truncation_never_cuts_a_citation_marker_even_mid_sentence() -> None:
    text = "Every employee accrues twenty days each calendar year [12] and more words follow"

    assert truncate(text, 56) == "Every employee accrues twenty days each calendar year…"
    assert truncate(text, 58) == "Every employee accrues twenty days each calendar year…"
    assert truncate(text, 59) == "Every employee accrues twenty days each calendar year [12]…"


def test_an_invalid_style_file_fails_with_the_file_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "tone.yaml"
    path.write_text("emoji: sometimes\nmax_chars: 10\n")

    with pytest.raises(ConfigError) as caught:
        HouseStyle.load(path)

    message = str(caught.value)
    assert str(path) in message
    assert "emoji" in message
    assert "max_chars" in message


def test_an_unknown_key_is_reported_rather_than_ignored(tmp_path: Path) -> None:
    path = tmp_path / "tone.yaml"
    path.write_text("signoff: Cheers\n")

    with pytest.raises(ConfigError, match="signoff"):
        HouseStyle.load(path)
