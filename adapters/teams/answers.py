"""Answers as native Teams AI messages: Markdown text with `[n]` markers, the AI label and the
markers' citations in one `https://schema.org/Message` entity, and Teams' own 👍 / 👎
(`channelData.feedbackLoop`). An Adaptive Card is attached only where it adds something:
the offer of a private answer.

Teams shows a citation for each `[n]` in the text, so every source gets a marker: those the
text does not cite are named on a last line. At most `MAX_CITATIONS` sources are cited.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from adapters.chat import views
from adapters.chat.answer_service import Reply
from adapters.chat.views import AnswerView, SourceLine
from adapters.teams import cards
from adapters.teams.sdk import Activity, CardFactory, Entity, MessageFactory
from bot import texts
from bot.mentions import without_mass_mentions

MAX_CITATIONS = 20
MAX_NAME = 80
MAX_ABSTRACT = 160
TEXT_LIMIT = 20_000  # characters of text; Teams refuses messages over about 28 KB
AI_MESSAGE = "https://schema.org/Message"
FEEDBACK_LOOP = {"feedbackLoop": {"type": "default"}}

_MARKER = re.compile(r"\[(\d{1,3})\](?!\()")
_BULLET = re.compile(r"^(\s*)•\s+", re.M)
IMAGE_NAMES = {  # the document-type icons Teams knows
    ".pdf": "PDF",
    ".doc": "Microsoft Word",
    ".docx": "Microsoft Word",
    ".xls": "Microsoft Excel",
    ".xlsx": "Microsoft Excel",
    ".csv": "Microsoft Excel",
    ".ppt": "Microsoft PowerPoint",
    ".pptx": "Microsoft PowerPoint",
    ".png": "Image",
    ".jpg": "Image",
    ".zip": "ZIP",
}


class JsonEntity(Entity):  # type: ignore[misc]  # the SDK is untyped
    """An entity sent as the JSON it is given: the SDK's `Entity` serializes only `type`."""

    def __init__(self, properties: dict[str, Any]) -> None:
        super().__init__(type=properties["type"])
        self._attribute_map = {
            f"p{i}": {"key": key, "type": "object"} for i, key in enumerate(properties)
        }
        for i, value in enumerate(properties.values()):
            setattr(self, f"p{i}", value)


def message_text(view: AnswerView) -> str:
    """The answer as Teams Markdown: every source has a `[n]` marker in it."""
    text = without_mass_mentions(_BULLET.sub(r"\1- ", view.text.strip()))
    if len(text) > TEXT_LIMIT:
        cut = text.rfind(" ", 0, TEXT_LIMIT)
        text = text[: cut if cut > 0 else TEXT_LIMIT].rstrip() + "…\n\n" + texts.TEAMS_SHORTENED
    cited = cited_numbers(text)
    uncited = [s.number for s in view.sources[:MAX_CITATIONS] if s.number not in cited]
    if uncited:
        text += f"\n\n{texts.TEAMS_MORE_SOURCES} " + " ".join(f"[{n}]" for n in uncited)
    if view.note:
        text += f"\n\n_{view.note}_"
    return text


def cited_numbers(text: str) -> set[int]:
    return {int(m.group(1)) for m in _MARKER.finditer(text)}


def ai_entity(view: AnswerView, text: str) -> dict[str, Any]:
    """The AI label, and a citation for each source whose marker is in `text`."""
    cited = cited_numbers(text)
    claims = [_claim(s) for s in view.sources[:MAX_CITATIONS] if s.number in cited]
    entity: dict[str, Any] = {
        "type": AI_MESSAGE,
        "@type": "Message",
        "@context": "https://schema.org",
        "@id": "",
        "additionalType": ["AIGeneratedContent"],
    }
    if claims:
        entity["citation"] = claims
    return entity


def _claim(source: SourceLine) -> dict[str, Any]:
    appearance: dict[str, Any] = {
        "@type": "DigitalDocument",
        "name": _shortened(without_mass_mentions(source.title) or source.location, MAX_NAME),
        "abstract": _shortened(without_mass_mentions(_abstract(source)), MAX_ABSTRACT),
    }
    if source.url and source.url.startswith(("https://", "http://")):
        appearance["url"] = source.url
    image = IMAGE_NAMES.get(PurePosixPath(source.path).suffix.lower())
    appearance["image"] = {"@type": "ImageObject", "name": image or "Text"}
    return {"@type": "Claim", "position": source.number, "appearance": appearance}


def _abstract(source: SourceLine) -> str:
    if source.snippet:
        return " ".join(source.snippet.split())
    details = [source.location]
    if source.updated:
        details.append(texts.UPDATED.format(date=f"{source.updated:%Y-%m-%d}"))
    return " · ".join(details)


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def answer_activity(reply: Reply, *, private: bool) -> Activity:
    """An answer as a native AI message; anything else (an error with its reference id) as
    short text."""
    note = f"\n\n_{reply.attachment_note}_" if reply.attachment_note else ""
    if reply.answer is None:
        return MessageFactory.text(reply.text + note)
    view = views.view_of(reply.answer)
    text = message_text(view) + note
    activity = MessageFactory.text(text)
    activity.text_format = "markdown"
    activity.entities = [JsonEntity(ai_entity(view, text))]
    if view.answer_id:
        activity.channel_data = dict(FEEDBACK_LOOP)
    if view.private_answer_available and not private and view.answer_id:
        activity.attachments = [CardFactory.adaptive_card(cards.offer_card(view.answer_id))]
    return activity
