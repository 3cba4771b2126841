"""Adaptive Cards: the offer of a private answer under a channel answer (answers themselves are
native AI messages, see `answers.py`), and answer cards as Deskmate sent them before: their
buttons still work, and a press redraws them with the feedback state.

Teams rejects messages over about 28 KB, so a card is kept under `CARD_BUDGET` bytes: at most
`MAX_SOURCES` sources with shortened titles, then the answer text cut at a word with a note.
Each button carries what is needed to draw the card again (the answer id, the rating and the
kind of note), so any replica can redraw it from the stored answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from adapters.chat import views
from adapters.chat.feedback import Rating
from adapters.chat.views import AnswerView, SourceLine
from adapters.teams.sdk import Activity, CardFactory, MessageFactory
from bot import texts
from bot.mentions import without_mass_mentions
from bot.models import NOTES, Answer, NoteKind
from bot.store.feedback import StoredAnswer

CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"  # Action.Execute (Universal Actions); Action.Submit is the fallback
CARD_BUDGET = 24_000  # bytes of card JSON, leaving room for the activity around it
MAX_SOURCES = 8
MAX_TITLE = 150

FEEDBACK = "feedback"
PRIVATE = "private"
OFFER = "offer"
VERBS = {FEEDBACK: "deskmate.feedback", PRIVATE: "deskmate.private"}
RATINGS: tuple[Rating, ...] = (1, -1)

_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_BULLET = re.compile(r"^\s*[-*•]\s+")
_URL_SAFE = ":/?#=&%~+,;@!$"  # keep a URL as it is, but escape what ends a Markdown link


@dataclass(frozen=True)
class Card:
    """What an answer card shows: the answer's view, the offer of a private answer, and what
    a button press did."""

    view: AnswerView
    offer_private: bool = False
    status: str | None = None


@dataclass(frozen=True)
class CardAction:
    """A button press: feedback (rating 1 or -1) or a request for a private answer."""

    kind: str
    answer_id: str
    rating: Rating | None = None
    note: NoteKind | None = None
    offer_private: bool = False
    offer_only: bool = False  # pressed on the card that only offers a private answer


# --- from the engine's answer, or from the stored one ---------------------------------------


def view_of(answer: Answer, *, private: bool) -> Card:
    offer = answer.private_answer_available and not private
    return Card(views.view_of(answer), offer_private=offer)


def view_of_stored(stored: StoredAnswer | None, action: CardAction, status: str) -> Card:
    """The card again, after a button press, with `status` saying what happened."""
    if stored is None:
        return Card(AnswerView(action.answer_id, "", ()), status=status)
    view = views.view_of_stored(stored, action.note)
    return Card(view, action.offer_private, status=status)


def _detail(source: SourceLine) -> str:
    details = []
    if source.updated:
        details.append(texts.UPDATED.format(date=f"{source.updated:%Y-%m-%d}"))
    if source.pages:
        details.append(texts.PAGES.format(pages=", ".join(map(str, source.pages))))
    if not source.url:
        details.append(source.location)
    return " · ".join(details)


# --- the card --------------------------------------------------------------------------------


def answer_card(card: Card) -> dict[str, Any]:
    """The Adaptive Card for `card`, within Teams' size limit."""
    sources = tuple(_shortened(s) for s in card.view.sources[:MAX_SOURCES])
    card = replace(card, view=replace(card.view, sources=sources))
    drawn = _card(card, card.view.text, shortened=False)
    if _size(drawn) <= CARD_BUDGET:
        return drawn
    room = CARD_BUDGET - _size(_card(card, "…", shortened=True)) + _encoded("…")
    return _card(card, _cut(card.view.text, room), shortened=True)


def _card(card: Card, text: str, *, shortened: bool) -> dict[str, Any]:
    view = card.view
    body: list[dict[str, Any]] = []
    if text:
        body.append(_text_block(without_mass_mentions(to_markdown(text))))
    if shortened:
        body.append(_text_block(texts.TEAMS_SHORTENED, isSubtle=True, size="Small"))
    if view.note:
        body.append(_text_block(view.note, isSubtle=True, size="Small"))
    if card.offer_private:
        body.append(_text_block(texts.PRIVATE_AVAILABLE, color="Accent"))
    if view.sources:
        body.append(_text_block(texts.SOURCES, weight="Bolder", separator=True, spacing="Medium"))
        body.extend(
            _text_block(_source_markdown(s), size="Small", spacing="Small") for s in view.sources
        )
    if card.status:
        body.append(_text_block(card.status, isSubtle=True, separator=True))
    drawn: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "msteams": {"width": "Full"},
        "body": body,
    }
    if view.answer_id:
        drawn["actions"] = _actions(card, view.answer_id)
    return drawn


def offer_card(answer_id: str, status: str | None = None) -> dict[str, Any]:
    """The offer of a private answer, attached to a channel answer; `status` after a press."""
    body = [_text_block(texts.PRIVATE_AVAILABLE, color="Accent")]
    if status:
        body.append(_text_block(status, isSubtle=True, separator=True))
    state = {"answer_id": answer_id, "offer_private": True, "card": OFFER}
    return {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "body": body,
        "actions": [_action(texts.BUTTON_PRIVATE, PRIVATE, state)],
    }


def _text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _actions(card: Card, answer_id: str) -> list[dict[str, Any]]:
    state: dict[str, Any] = {"answer_id": answer_id}
    if card.view.note_kind:
        state["note"] = card.view.note_kind
    if card.offer_private:
        state["offer_private"] = True
    actions = [
        _action(texts.BUTTON_HELPFUL, FEEDBACK, {**state, "rating": 1}),
        _action(texts.BUTTON_NOT_HELPFUL, FEEDBACK, {**state, "rating": -1}),
    ]
    if card.offer_private:
        actions.append(_action(texts.BUTTON_PRIVATE, PRIVATE, state))
    return actions


def _action(title: str, kind: str, state: dict[str, Any]) -> dict[str, Any]:
    data = {"deskmate": kind, **state}
    fallback = {"type": "Action.Submit", "title": title, "data": data}
    return {
        "type": "Action.Execute",
        "title": title,
        "verb": VERBS[kind],
        "data": data,
        "fallback": fallback,
    }


def _source_markdown(source: SourceLine) -> str:
    title = without_mass_mentions(source.title.replace("[", "(").replace("]", ")"))
    url = source.url or ""
    if url.startswith(("https://", "http://")):
        title = f"[{title}]({quote(url, safe=_URL_SAFE)})"
    line = f"[{source.number}] {title}"
    detail = _detail(source)
    return f"{line} · {detail}" if detail else line


def _shortened(source: SourceLine) -> SourceLine:
    if len(source.title) <= MAX_TITLE:
        return source
    return replace(source, title=source.title[: MAX_TITLE - 1].rstrip() + "…")


def to_markdown(text: str) -> str:
    """The engine's plain text as Teams card Markdown: list items joined by `\\r`, paragraphs
    by blank lines (a single `\\n` is not a line break in a TextBlock)."""
    blocks: list[str] = []
    items: list[str] = []
    for line in text.splitlines():
        if _LIST_ITEM.match(line):
            items.append(_BULLET.sub("- ", line).strip())
            continue
        if items:
            blocks.append("\r".join(items))
            items = []
        if line.strip():
            blocks.append(line.strip())
    if items:
        blocks.append("\r".join(items))
    return "\n\n".join(blocks)


def _cut(text: str, room: int) -> str:
    """The longest start of `text`, ending at a word, that fits `room` bytes in the card."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if _encoded(to_markdown(text[:middle] + "…")) <= room:
            low = middle
        else:
            high = middle - 1
    kept = text[:low]
    space = kept.rfind(" ", max(0, len(kept) - 40))
    return (kept[:space] if space > 0 else kept).rstrip() + "…"


def _size(card: dict[str, Any]) -> int:
    return len(json.dumps(card, ensure_ascii=False).encode())


def _encoded(text: str) -> int:
    return len(json.dumps(text, ensure_ascii=False).encode()) - 2


# --- button presses and activities ---------------------------------------------------------


def action_from(data: object) -> CardAction | None:
    """The button press in a card's `data` (Action.Submit value or Action.Execute data)."""
    if not isinstance(data, dict):
        return None
    kind, answer_id = data.get("deskmate"), data.get("answer_id")
    if kind not in VERBS or not isinstance(answer_id, str) or not 0 < len(answer_id) <= 64:
        return None
    rating = next((r for r in RATINGS if data.get("rating") == r), None)
    if kind == FEEDBACK and rating is None:
        return None
    return CardAction(
        kind=kind,
        answer_id=answer_id,
        rating=rating if kind == FEEDBACK else None,
        note=next((kind for kind in NOTES if kind == data.get("note")), None),
        offer_private=data.get("offer_private") is True,
        offer_only=data.get("card") == OFFER,
    )


def action_from_invoke(value: object) -> CardAction | None:
    """The button press in an `adaptiveCard/action` invoke's value (`action.data`)."""
    action = value.get("action") if isinstance(value, dict) else None
    return action_from(action.get("data") if isinstance(action, dict) else None)


def card_activity(card: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(CardFactory.adaptive_card(card))
