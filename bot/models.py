"""The records that flow through Deskmate: what is asked, what is known, what is answered."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bot import texts

EVERYONE = "everyone"
USER_PREFIX = "user:"  # an audience entry naming one person by e-mail: "user:ana@example.com"

NoteKind = Literal["not_grounded", "llm_fallback", "reply_rejected"]
NOTES: dict[NoteKind, str] = {
    "not_grounded": texts.NOT_GROUNDED_NOTE,
    "llm_fallback": texts.LLM_FALLBACK_NOTE,
    "reply_rejected": texts.REPLY_REJECTED_NOTE,
}


@dataclass(frozen=True)
class Asker:
    """Who asks: a platform user id plus the ids that identify the same person elsewhere."""

    user_id: str
    email: str | None = None
    display_name: str | None = None


@dataclass(frozen=True)
class Question:
    """A question as the engine sees it, whatever platform it came from.

    `audience` is the set of groups whose documents may be used in the reply: the asker's
    groups in a DM or private reply, the intersection over every listener in a shared channel.
    `asker_groups` are the asker's own groups: would a private answer be better?
    """

    text: str
    asker: Asker
    audience: frozenset[str]
    asker_groups: frozenset[str] = frozenset()
    conversation_id: str | None = None
    private: bool = True
    platform: str = "cli"  # where it was asked, as the adapter names it; stored for insights
    thread: tuple[str, ...] = ()  # people's earlier messages in the thread, oldest first


@dataclass(frozen=True)
class Chunk:
    """A retrieved passage with its provenance and scores."""

    chunk_id: int
    document_id: int
    source: str
    path: str
    title: str
    url: str | None
    heading_path: tuple[str, ...]
    text: str
    page: int | None
    updated_at: datetime | None
    indexed_at: datetime | None
    score: float
    similarity: float
    keyword_rank: int | None = None
    vector_rank: int | None = None
    bm25: float = 0.0
    coverage: float = 0.0  # share of the question's word weight (IDF) this chunk holds
    last_page: int | None = None  # where a chunk that runs over a page break ends

    @property
    def pages(self) -> tuple[int, ...]:
        """Every page the chunk's text is on, first to last (none for unpaged formats)."""
        if self.page is None:
            return ()
        return tuple(range(self.page, max(self.page, self.last_page or self.page) + 1))


@dataclass(frozen=True)
class Citation:
    """A numbered source shown under an answer."""

    number: int
    title: str
    url: str | None
    source: str
    path: str
    snippet: str
    score: float
    updated_at: datetime | None = None
    indexed_at: datetime | None = None
    pages: tuple[int, ...] = ()


@dataclass(frozen=True)
class Timings:
    retrieve_ms: float = 0.0
    generate_ms: float = 0.0
    total_ms: float = 0.0


@dataclass(frozen=True)
class Answer:
    """What the engine says, ready for any adapter to render."""

    text: str
    citations: tuple[Citation, ...]
    answered: bool
    grounded: bool
    timings: Timings = field(default_factory=Timings)
    private_answer_available: bool = False
    contacts: tuple[str, ...] = ()
    note_kind: NoteKind | None = None
    answer_id: str | None = None

    @property
    def note(self) -> str | None:
        """The caveat shown with the answer; decisions read `note_kind`."""
        return NOTES[self.note_kind] if self.note_kind else None
