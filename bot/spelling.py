"""Misspelt question words, read as the English word one keystroke away that the knowledge
base holds.

People type fast in chat: "helth insurance", "holliday", "how do promotoins work". A misspelt
word is in no chunk, so the keyword leg cannot find it and, being the rarest word of the
question, it makes the question look unanswered ("I don't know" for "whos the pention
provider"). A word is read as another only when

- it is not an English word: not in `data/english_words.txt`, the whole words of the packaged
  model's WordPiece vocabulary (bert-base-uncased, Apache-2.0), with a plural, -ing or -ed
  taken off. A real word the knowledge base lacks ("massages", "snacks", "stipend") is what an
  unanswerable question is made of and must stay uncovered;
- it has at least `MIN_LETTERS` letters (short words have too many neighbours: "typs" is one
  edit from "types", "tips" and "typo");
- the knowledge base lacks its stem, and holds the stem of an English word one edit away (a
  letter added, dropped or changed, or two neighbours swapped) with the same first letter, or
  a handbook's word for it (bot.vocabulary.SYNONYMS: "vacaton" -> vacation -> PTO), in at least
  `MIN_CHUNKS` chunks; of several, the one in most chunks. The word is then searched for as
  that English word is, with the handbooks' words for it.

`candidates` proposes the English words; the store (`bot.store.search`) keeps those the
knowledge base holds and `best` picks one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

MIN_LETTERS = 5
MIN_CHUNKS = 3  # a rare neighbour is as likely another word as the one meant
_WORD = re.compile(r"[a-z]+")
_ENDINGS = ("s", "es", "ing", "ed", "d", "ly", "er")
_WORDS_FILE = Path(__file__).with_name("data") / "english_words.txt"


@cache
def english_words() -> frozenset[str]:
    return frozenset(_WORDS_FILE.read_text(encoding="utf-8").split())


def is_english(word: str) -> bool:
    """Whether `word` (lower case) is a known English word, perhaps with an ending."""
    words = english_words()
    return word in words or any(
        word.endswith(ending) and word[: -len(ending)] in words for ending in _ENDINGS
    )


def unfamiliar_words(text: str) -> list[str]:
    """The words of `text` that may be misspelt: long enough and not English, in order."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if len(word) >= MIN_LETTERS and not is_english(word):
            seen.setdefault(word)
    return list(seen)


def candidates(word: str) -> list[str]:
    """The English words one edit from `word` that start with its letter, sorted."""
    words = english_words()
    return sorted(e for e in _edits(word) if e in words and e[:1] == word[:1])


def best(held: Iterable[tuple[str, int]]) -> str | None:
    """Of a word's candidates' stems (with the number of chunks holding each, or a handbook's
    word for it), the one in most chunks; None below `MIN_CHUNKS`."""
    kept = [(chunks, stem) for stem, chunks in held if chunks >= MIN_CHUNKS]
    return max(kept)[1] if kept else None


def _edits(word: str) -> set[str]:
    """Every string one edit from `word`: a letter dropped, two neighbours swapped, a letter
    changed or added."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    dropped = {a + b[1:] for a, b in splits if b}
    swapped = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    changed = {a + c + b[1:] for a, b in splits if b for c in letters}
    added = {a + c + b for a, b in splits for c in letters}
    return (dropped | swapped | changed | added) - {word}
