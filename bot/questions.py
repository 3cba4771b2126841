"""What makes a question answerable: clean text of a bounded length, with something to ask.

Every entry point (Slack, Teams, the CLI, `deskmate eval`) goes through `checked`, so a pasted
log file, a message of only emoji or invisible characters gets the same short, friendly reply
everywhere instead of a model call or an error.
"""

from __future__ import annotations

import unicodedata

from bot.errors import UnusableQuestion

# Control and format characters (zero-width spaces, direction overrides, NUL) and lone
# surrogates carry no meaning in a question; tabs and newlines become spaces.
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn"}


def clean(text: str) -> str:
    """The question as one line of visible text: normalised, invisible characters removed."""
    text = unicodedata.normalize("NFC", text.encode("utf-8", "replace").decode("utf-8"))
    kept = (" " if ch in "\t\n\r" else ch for ch in text)
    visible = "".join(ch for ch in kept if unicodedata.category(ch) not in _INVISIBLE)
    return " ".join(visible.split())


def has_words(text: str) -> bool:
    """Letters or digits in any script: "休暇は何日?" has them, "🎉🎉" and "???" do not."""
    return any(ch.isalnum() for ch in text)


def checked(text: str, max_chars: int) -> str:
    """The clean question, or `UnusableQuestion` saying why there is nothing to answer."""
    question = clean(text)
    if not has_words(question):
        raise UnusableQuestion("empty")
    if len(question) > max_chars:
        raise UnusableQuestion("too_long")
    return question
