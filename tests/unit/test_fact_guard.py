"""The fact guard: which facts a phrasing must keep, and what it may not add."""

from __future__ import annotations

from bot.tone.fact_guard import NUMERIC_KINDS, compare, facts, invented


def _values(text: str) -> set[tuple[str, str]]:
    return {(f.kind, f.value) for f in facts(text)}


def test_numbers_amounts_percentages_links_markers_and_quoted_names_are_facts() -> None:
    text = (
        'Install "Halyard Connect" [2]. You get 16 weeks, a $25,000 budget, a 4.5% match and '
        "1.67 days a month; see https://wiki.halyard.example/pto."
    )

    assert _values(text) == {
        ("quote", "halyard connect"),
        ("marker", "2"),
        ("number", "16"),
        ("amount", "USD 25000"),
        ("percent", "4.5"),
        ("number", "1.67"),
        ("url", "https://wiki.halyard.example/pto"),
    }


def test_the_same_amount_written_differently_is_the_same_fact() -> None:
    assert _values("$25,000") == _values("USD 25000") == _values("25k USD") == _values("$25k")
    assert _values("€300") == _values("300 EUR")
    assert _values("$25.00") == _values("$25")


def test_dates_and_times_compare_by_value_and_their_digits_are_not_extra_numbers() -> None:
    assert _values("2026-01-12") == {("date", "2026-01-12")}
    assert _values("January 12, 2026") == _values("12 Jan 2026") == {("date", "2026-01-12")}
    assert _values("by March 31") == {("date", "--03-31")}
    assert _values("at 2:30 pm") == _values("at 14:30") == {("time", "14:30")}


def test_may_the_verb_is_not_a_month() -> None:
    assert _values("up to 5 may be carried over") == {("number", "5")}
    assert _values("until May 5") == {("date", "--05-05")}


def test_a_rewording_that_keeps_every_fact_passes() -> None:
    draft = "Employees accrue 20 days per year, credited at 1.67 days, from 2026-01-01 [1]."
    phrased = "From January 1, 2026 you get 20 days a year, 1.67 days each month [1]."

    check = compare(draft, phrased)

    assert check.ok
    assert check.describe() == "all facts kept"


def test_a_dropped_number_is_lost() -> None:
    check = compare("You get 16 weeks of paid leave [1].", "You get generous paid leave [1].")

    assert not check.ok
    assert [f.text for f in check.lost] == ["16"]
    assert check.invented == ()


def test_a_new_number_a_new_link_or_a_new_citation_is_invented() -> None:
    check = compare(
        "You get 16 weeks [1].",
        "You get 16 weeks plus 2 bonus weeks [1][3], see https://example.com/leave.",
    )

    assert sorted(f.text for f in check.invented) == ["2", "[3]", "https://example.com/leave"]
    assert check.lost == ()
    assert check.describe() == "invented 2, [3], https://example.com/leave"


def test_a_changed_amount_is_both_lost_and_invented() -> None:
    check = compare(
        "Claims over $2,000 need approval [1].", "Claims over $2,500 need approval [1]."
    )

    assert [f.text for f in check.lost] == ["$2,000"]
    assert [f.text for f in check.invented] == ["$2,500"]


def test_a_lost_citation_marker_or_url_fails_the_guard() -> None:
    draft = "Book in TripDesk [1]. Details: https://wiki.halyard.example/travel [2]"

    check = compare(draft, "Book in TripDesk [1].")

    assert sorted(f.text for f in check.lost) == ["[2]", "https://wiki.halyard.example/travel"]


def test_a_quoted_name_may_lose_its_quotes_but_not_its_words() -> None:
    draft = 'Install "Halyard Connect" and approve the prompt [1].'

    assert compare(draft, "Install Halyard Connect, then approve the prompt [1].").ok
    assert [f.text for f in compare(draft, "Install the VPN app [1].").lost] == ["Halyard Connect"]


def test_mentioning_the_year_of_a_full_date_is_not_an_invention() -> None:
    assert compare("Effective 2026-01-01 [1].", "Effective 2026-01-01, so all of 2026 [1].").ok


def test_direct_answers_are_checked_for_numbers_and_links_the_passages_lack() -> None:
    passages = '<passage id="1">The nightly hotel limit is $250, or $325 in London.</passage>'
    kinds = NUMERIC_KINDS | {"url"}

    assert invented(passages, "Up to $250 a night, $325 in London [1].", kinds) == ()
    assert [f.text for f in invented(passages, "Up to $300 a night [1].", kinds)] == ["$300"]
