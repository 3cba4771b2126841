"""The answer's view: what every platform shows of an answer, built in one place.

It comes from the engine's `Answer`, or from the stored answer when a card is drawn again
after a button press; both carry the same source lines (title, link, pages, date), so a redraw
loses nothing. Slack, Teams and the CLI only render it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.models import NOTES, Answer, Citation, NoteKind
from bot.store.feedback import StoredAnswer


@dataclass(frozen=True)
class SourceLine:
    """One numbered source under an answer."""

    number: int
    title: str
    url: str | None
    source: str = ""
    path: str = ""
    pages: tuple[int, ...] = ()
    updated: date | None = None
    snippet: str = ""  # the cited passage; answers drawn again from the store have none

    @property
    def location(self) -> str:
        """Where a source without a link lives: `source/path`."""
        return f"{self.source}/{self.path}" if self.source else self.path


@dataclass(frozen=True)
class AnswerView:
    answer_id: str | None
    text: str
    sources: tuple[SourceLine, ...]
    answered: bool = True
    note_kind: NoteKind | None = None
    private_answer_available: bool = False
    contacts: tuple[str, ...] = ()

    @property
    def note(self) -> str | None:
        return NOTES[self.note_kind] if self.note_kind else None


def view_of(answer: Answer) -> AnswerView:
    return AnswerView(
        answer_id=answer.answer_id,
        text=answer.text,
        sources=tuple(source_line(c) for c in answer.citations),
        answered=answer.answered,
        note_kind=answer.note_kind,
        private_answer_available=answer.private_answer_available,
        contacts=answer.contacts,
    )


def view_of_stored(stored: StoredAnswer, note_kind: NoteKind | None = None) -> AnswerView:
    """The view of an answer given earlier, from what the engine stored with it."""
    sources = tuple(_stored_line(n, s) for n, s in enumerate(stored.sources, start=1))
    return AnswerView(stored.id, stored.answer, sources, stored.answered, note_kind)


def source_line(citation: Citation) -> SourceLine:
    updated = citation.updated_at.date() if citation.updated_at else None
    return SourceLine(
        citation.number,
        citation.title,
        citation.url,
        citation.source,
        citation.path,
        citation.pages,
        updated,
        citation.snippet,
    )


def _stored_line(number: int, stored: dict[str, Any]) -> SourceLine:
    """A source as the store holds it; answers stored before pages and dates were kept have
    only a title, a link and a path."""
    updated = stored.get("updated_at")
    return SourceLine(
        number=int(stored.get("number") or number),
        title=str(stored.get("title") or stored.get("path") or ""),
        url=stored.get("url"),
        source=str(stored.get("source") or ""),
        path=str(stored.get("path") or ""),
        pages=tuple(int(p) for p in stored.get("pages") or ()),
        updated=datetime.fromisoformat(updated).date() if isinstance(updated, str) else None,
    )
