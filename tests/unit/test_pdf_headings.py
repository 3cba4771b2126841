"""Headings found in a PDF's text layer: what counts as one, and how sections carry them."""

from __future__ import annotations

from indexer.loaders.pdf_headings import heading_level, sections_of

PAGE_ONE = [
    "Annual leave carries over for up to five days, as agreed with your manager.",
    "Sick Leave and Absence",
    "Tell your manager before 10am on the first day you are ill. After seven days you need a",
    "fit note from your doctor.",
    "What if I fall ill on holiday?",
    "Tell us as soon as you can and the days become sick leave.",
]
PAGE_TWO = [
    "Your manager may ask to meet you when you are back, to see what support would help.",
    "Travel and Expenses",
    "Book trains through the travel desk.",
]


def test_a_title_case_line_between_sentences_is_a_heading() -> None:
    assert heading_level("Sick Leave and Absence", PAGE_ONE[0], PAGE_ONE[2]) == 1


def test_a_short_question_on_its_own_line_is_a_heading_one_level_down() -> None:
    assert heading_level("What if I fall ill on holiday?", PAGE_ONE[3], PAGE_ONE[5]) == 2


def test_prose_is_not_a_heading() -> None:
    assert heading_level("fit note from your doctor.", PAGE_ONE[2], PAGE_ONE[4]) is None
    assert heading_level(PAGE_ONE[0], None, PAGE_ONE[1]) is None


def test_the_wrapped_tail_of_a_sentence_is_not_a_heading_even_in_title_case() -> None:
    before = "Employees who travel on company business are covered by the policy of Northwind"
    assert heading_level("Health Plus", before + " Travel Insurance and", "Details.") is None


def test_bullets_labels_and_lines_followed_by_a_lowercase_continuation_are_not_headings() -> None:
    assert heading_level("• Bring Your Badge", "Arrive early.", "Then sign in.") is None
    assert heading_level("Responsibilities:", "Role summary.", "Lead the team.") is None
    assert heading_level("Northwind Health", "Plans.", "plus offers more.") is None


def test_sections_carry_their_heading_across_a_page_break_and_cite_each_page() -> None:
    sections = sections_of([(1, PAGE_ONE), (2, PAGE_TWO)])

    assert [(s.headings, s.page) for s in sections] == [
        ((), 1),
        (("Sick Leave and Absence",), 1),
        (("Sick Leave and Absence", "What if I fall ill on holiday?"), 1),
        (("Sick Leave and Absence", "What if I fall ill on holiday?"), 2),
        (("Travel and Expenses",), 2),
    ]
    assert sections[3].text.startswith("Your manager may ask to meet you")


def test_a_heading_right_under_another_is_a_level_deeper() -> None:
    lines = ["Benefits", "HOW PROVIDERS AFFECT YOUR COSTS", "Choose an in-network provider."]

    [section] = sections_of([(4, lines)])

    assert section.headings == ("Benefits", "HOW PROVIDERS AFFECT YOUR COSTS")


def test_a_list_of_short_lines_stays_text() -> None:
    lines = [
        "Covered plans:",
        "Northwind Health Plus",
        "Northwind Standard",
        "Dental Plus",
        "Vision",
    ]

    [section] = sections_of([(1, lines)])

    assert section.headings == ()
    assert "Dental Plus" in section.text
