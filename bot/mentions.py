"""Mass mentions are never ours to send: whatever a document, a model or a question says,
Deskmate's messages notify nobody but the people it means to."""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"
_MASS_MENTION = re.compile(
    r"(?<![\w.+-])@(?=(?:here|channel|everyone|all|room|group)\b)", re.IGNORECASE
)


def without_mass_mentions(text: str) -> str:
    """`@here`, `@channel`, `@everyone` written so no platform reads them as a ping: a word
    joiner after the `@` looks the same and notifies nobody. E-mail addresses are left alone."""
    return _MASS_MENTION.sub("@" + WORD_JOINER, text)
