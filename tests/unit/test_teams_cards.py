"""Teams' Adaptive Cards: the answer cards Deskmate sent before answers were AI messages
(their buttons still work and redraw them: the text, numbered sources as links, a size that
Teams accepts) and the card that offers a private answer."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from adapters.teams import cards
from bot import texts
from bot.models import Answer, Citation
from bot.store.feedback import StoredAnswer, source_record


def _citation(number: int, title: str = "Benefits Guide", url: str | None = None) -> Citation:
    return Citation(
        number=number,
        title=title,
        url=url if url is not None else f"https://hr.example/doc-{number}.docx",
        source="hr",
        path=f"doc-{number}.docx",
        snippet="…",
        score=0.9,
        updated_at=datetime(2026, 1, 5),
    )


def _answer(text: str = "The ESPP discount is 15% [1].", **fields: Any) -> Answer:
    values: dict[str, Any] = {
        "citations": (_citation(1),),
        "answered": True,
        "grounded": True,
        "answer_id": "a1b2c3d4e5f60718",
    }
    values.update(fields)
    return Answer(text=text, **values)


def _texts(card: dict[str, Any]) -> list[str]:
    return [block["text"] for block in card["body"]]


def _size(card: dict[str, Any]) -> int:
    return len(json.dumps(card, ensure_ascii=False).encode())


def test_the_card_shows_the_answer_and_numbered_sources_linked_to_their_documents() -> None:
    answer = _answer(citations=(_citation(1), _citation(2, "PTO Policy", url="")))

    card = cards.answer_card(cards.view_of(answer, private=True))

    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.5"
    assert _texts(card) == [
        "The ESPP discount is 15% [1].",
        texts.SOURCES,
        "[1] [Benefits Guide](https://hr.example/doc-1.docx) · updated 2026-01-05",
        "[2] PTO Policy · updated 2026-01-05 · hr/doc-2.docx",  # no link: where it lives
    ]


def test_feedback_buttons_use_action_execute_with_action_submit_for_older_clients() -> None:
    card = cards.answer_card(cards.view_of(_answer(), private=True))

    up, down = card["actions"]
    assert (up["type"], up["verb"], up["title"]) == (
        "Action.Execute",
        "deskmate.feedback",
        texts.BUTTON_HELPFUL,
    )
    assert up["data"] == {"deskmate": "feedback", "answer_id": "a1b2c3d4e5f60718", "rating": 1}
    assert up["fallback"] == {"type": "Action.Submit", "title": up["title"], "data": up["data"]}
    assert down["data"]["rating"] == -1


def test_a_better_private_answer_is_offered_in_shared_conversations_only() -> None:
    answer = _answer(private_answer_available=True)

    shared = cards.answer_card(cards.view_of(answer, private=False))
    private = cards.answer_card(cards.view_of(answer, private=True))

    assert texts.PRIVATE_AVAILABLE in _texts(shared)
    assert shared["actions"][-1]["verb"] == "deskmate.private"
    assert texts.PRIVATE_AVAILABLE not in _texts(private)
    assert [a["verb"] for a in private["actions"]] == ["deskmate.feedback"] * 2


def test_list_lines_become_card_markdown_lists_and_paragraphs_stay_apart() -> None:
    text = "Here is what the knowledge base says:\n- “one” [1]\n• “two” [2]\nAsk HR."

    assert cards.to_markdown(text) == (
        "Here is what the knowledge base says:\n\n- “one” [1]\r- “two” [2]\n\nAsk HR."
    )


def test_a_very_long_answer_is_shortened_at_a_word_to_fit_teams_with_a_note() -> None:
    long_text = " ".join(f"word{i}" for i in range(20_000))

    card = cards.answer_card(cards.view_of(_answer(long_text), private=True))

    assert _size(card) <= cards.CARD_BUDGET
    shown = _texts(card)[0]
    assert shown.endswith("…")
    assert shown[:-1].split()[-1].startswith("word")  # cut between words, not inside one
    assert texts.TEAMS_SHORTENED in _texts(card)
    assert card["actions"]  # the buttons survive


def test_many_sources_are_capped_and_long_titles_shortened() -> None:
    citations = tuple(_citation(n, "T" * 500) for n in range(1, 30))

    card = cards.answer_card(cards.view_of(_answer(citations=citations), private=True))

    lines = [t for t in _texts(card) if t.startswith("[")]
    assert len(lines) == cards.MAX_SOURCES
    assert all(len(line) < 300 for line in lines)


def test_the_private_answer_offer_is_a_card_of_its_own_that_redraws_itself() -> None:
    card = cards.offer_card("a1b2c3d4e5f60718")

    (button,) = card["actions"]
    press = cards.action_from(button["data"])

    assert _texts(card) == [texts.PRIVATE_AVAILABLE]
    assert press is not None
    assert (press.kind, press.offer_only) == (cards.PRIVATE, True)
    assert texts.TEAMS_PRIVATE_SENT in _texts(cards.offer_card("a1", texts.TEAMS_PRIVATE_SENT))


def test_after_feedback_the_card_is_redrawn_from_the_stored_answer_with_its_status() -> None:
    stored = StoredAnswer(
        id="a1b2c3d4e5f60718",
        asker="u1",
        question="What is the ESPP discount?",
        answer="The ESPP discount is 15% [1].",
        sources=[{"title": "Benefits Guide", "url": "https://hr.example/b.docx", "path": "b"}],
        answered=True,
    )
    press = cards.action_from(
        {"deskmate": "feedback", "answer_id": stored.id, "rating": 1, "note": "not_grounded"}
    )
    assert press is not None

    card = cards.answer_card(cards.view_of_stored(stored, press, texts.FEEDBACK_THANKS_UP))

    assert _texts(card) == [
        "The ESPP discount is 15% [1].",
        texts.NOT_GROUNDED_NOTE,
        texts.SOURCES,
        "[1] [Benefits Guide](https://hr.example/b.docx)",
        texts.FEEDBACK_THANKS_UP,
    ]
    assert card["actions"][0]["data"]["note"] == "not_grounded"  # and again after another press


def test_only_deskmates_own_well_formed_buttons_are_accepted() -> None:
    good = {"deskmate": "feedback", "answer_id": "a1b2", "rating": -1}

    assert cards.action_from(good) == cards.CardAction("feedback", "a1b2", rating=-1)
    assert cards.action_from({**good, "rating": 5}) is None
    assert cards.action_from({**good, "deskmate": "delete"}) is None
    assert cards.action_from({**good, "answer_id": "x" * 65}) is None
    assert cards.action_from("feedback") is None
    # a note is chosen from Deskmate's own texts, never taken from the button's data
    forged = cards.action_from({**good, "note": "Your password expired, reply with it"})
    assert forged is not None
    assert forged.note is None


def test_a_redrawn_card_keeps_the_pages_and_dates_of_its_sources() -> None:
    citation = replace(_citation(1, url=""), pages=(2, 5))
    answer = _answer(citations=(citation,))
    stored = StoredAnswer(
        id=answer.answer_id or "",
        asker="u1",
        question="What is the ESPP discount?",
        answer=answer.text,
        sources=[source_record(citation)],
        answered=True,
    )
    press = cards.action_from({"deskmate": "feedback", "answer_id": stored.id, "rating": 1})
    assert press is not None

    first = _texts(cards.answer_card(cards.view_of(answer, private=True)))
    again = _texts(cards.answer_card(cards.view_of_stored(stored, press, "thanks")))

    assert again[:-1] == first
    assert "[1] Benefits Guide · updated 2026-01-05 · p. 2, 5 · hr/doc-1.docx" in again
