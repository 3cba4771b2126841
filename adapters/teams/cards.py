"""Answers as Adaptive Cards: the text, numbered sources as links, 👍 / 👎, and the offer of a
private answer; and the feedback state a card shows after someone used its buttons.

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

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity

from adapters.answering import Reply
from adapters.chat.feedback import Rating
from bot import texts
from bot.models import Answer, Citation
from bot.store.feedback import StoredAnswer

CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"  # Action.Execute (Universal Actions); Action.Submit is the fallback
CARD_BUDGET = 24_000  # bytes of card JSON, leaving room for the activity around it
MAX_SOURCES = 8
MAX_TITLE = 150

FEEDBACK = "feedback"
PRIVATE = "private"
VERBS = {FEEDBACK: "deskmate.feedback", PRIVATE: "deskmate.private"}
RATINGS: tuple[Rating, ...] = (1, -1)
NOTES = {"not_grounded": texts.NOT_GROUNDED_NOTE, "llm_fallback": texts.LLM_FALLBACK_NOTE}

_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_BULLET = re.compile(r"^\s*[-*•]\s+")
_URL_SAFE = ":/?#=&%~+,;@!$"  # keep a URL as it is, but escape what ends a Markdown link


@dataclass(frozen=True)
class SourceLine:
    number: int
    title: str
    url: str | None
    detail: str = ""


@dataclass(frozen=True)
class AnswerView:
    """What an answer card shows."""

    answer_id: str | None
    text: str
    sources: tuple[SourceLine, ...]
    note: str | None = None
    offer_private: bool = False
    status: str | None = None


@dataclass(frozen=True)
class CardAction:
    """A button press: feedback (rating 1 or -1) or a request for a private answer."""

    kind: str
    answer_id: str
    rating: Rating | None = None
    note: str | None = None
    offer_private: bool = False


# --- from the engine's answer, or from the stored one ---------------------------------------


def view_of(answer: Answer, *, private: bool) -> AnswerView:
    return AnswerView(
        answer_id=answer.answer_id,
        text=answer.text,
        sources=tuple(_source_line(c) for c in answer.citations),
        note=answer.note,
        offer_private=answer.private_answer_available and not private,
    )


def view_of_stored(stored: StoredAnswer | None, action: CardAction, status: str) -> AnswerView:
    """The card again, after a button press, with `status` saying what happened."""
    if stored is None:
        return AnswerView(action.answer_id, "", (), status=status)
    sources = tuple(
        SourceLine(n, str(s.get("title") or s.get("path") or ""), s.get("url"))
        for n, s in enumerate(stored.sources, start=1)
    )
    return AnswerView(
        stored.id, stored.answer, sources, action.note, action.offer_private, status=status
    )


def _source_line(citation: Citation) -> SourceLine:
    details = []
    if citation.updated_at:
        details.append(texts.UPDATED.format(date=f"{citation.updated_at:%Y-%m-%d}"))
    if citation.pages:
        details.append(texts.PAGES.format(pages=", ".join(map(str, citation.pages))))
    if not citation.url:
        details.append(f"{citation.source}/{citation.path}")
    return SourceLine(citation.number, citation.title, citation.url, " · ".join(details))


# --- the card --------------------------------------------------------------------------------


def answer_card(view: AnswerView) -> dict[str, Any]:
    """The Adaptive Card for `view`, within Teams' size limit."""
    view = replace(view, sources=tuple(_shortened(s) for s in view.sources[:MAX_SOURCES]))
    card = _card(view, view.text, shortened=False)
    if _size(card) <= CARD_BUDGET:
        return card
    room = CARD_BUDGET - _size(_card(view, "…", shortened=True)) + _encoded("…")
    return _card(view, _cut(view.text, room), shortened=True)


def _card(view: AnswerView, text: str, *, shortened: bool) -> dict[str, Any]:
    body: list[dict[str, Any]] = []
    if text:
        body.append(_text_block(to_markdown(text)))
    if shortened:
        body.append(_text_block(texts.TEAMS_SHORTENED, isSubtle=True, size="Small"))
    if view.note:
        body.append(_text_block(view.note, isSubtle=True, size="Small"))
    if view.offer_private:
        body.append(_text_block(texts.PRIVATE_AVAILABLE, color="Accent"))
    if view.sources:
        body.append(_text_block(texts.SOURCES, weight="Bolder", separator=True, spacing="Medium"))
        body.extend(
            _text_block(_source_markdown(s), size="Small", spacing="Small") for s in view.sources
        )
    if view.status:
        body.append(_text_block(view.status, isSubtle=True, separator=True))
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "msteams": {"width": "Full"},
        "body": body,
    }
    if view.answer_id:
        card["actions"] = _actions(view, view.answer_id)
    return card


def _text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _actions(view: AnswerView, answer_id: str) -> list[dict[str, Any]]:
    state: dict[str, Any] = {"answer_id": answer_id}
    note = next((key for key, text in NOTES.items() if text == view.note), None)
    if note:
        state["note"] = note
    if view.offer_private:
        state["offer_private"] = True
    actions = [
        _action(texts.BUTTON_HELPFUL, FEEDBACK, {**state, "rating": 1}),
        _action(texts.BUTTON_NOT_HELPFUL, FEEDBACK, {**state, "rating": -1}),
    ]
    if view.offer_private:
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
    title = source.title.replace("[", "(").replace("]", ")")
    url = source.url or ""
    if url.startswith(("https://", "http://")):
        title = f"[{title}]({quote(url, safe=_URL_SAFE)})"
    line = f"[{source.number}] {title}"
    return f"{line} · {source.detail}" if source.detail else line


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
        note=NOTES.get(str(data.get("note"))),
        offer_private=data.get("offer_private") is True,
    )


def action_from_invoke(value: object) -> CardAction | None:
    """The button press in an `adaptiveCard/action` invoke's value (`action.data`)."""
    action = value.get("action") if isinstance(value, dict) else None
    return action_from(action.get("data") if isinstance(action, dict) else None)


def card_activity(card: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(CardFactory.adaptive_card(card))


def reply_activity(reply: Reply, *, private: bool) -> Activity:
    """An answer as a card; anything else (an error with its reference id) as short text."""
    if reply.answer is None:
        return MessageFactory.text(reply.text)
    return card_activity(answer_card(view_of(reply.answer, private=private)))
