"""Text made safe for PostgreSQL before it leaves a loader.

PostgreSQL `text` cannot hold NUL, and a binary COPY rejects a string that is not valid UTF-8
(a lone surrogate, as `surrogateescape` decoding or a damaged PDF leaves). Other C0 control
characters and DEL are kept out too: they are invisible, break tokenisers and mean nothing in
an answer. Tabs and line breaks stay.
"""

from __future__ import annotations

import re
from dataclasses import replace

from indexer.records import LoadedDocument, Section

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
REPLACEMENT = "\ufffd"
MAX_HEADING_CHARS = 300  # a title or heading longer than this is a paragraph gone wrong


def safe_text(text: str) -> str:
    """`text` without control characters, with each lone surrogate replaced by U+FFFD."""
    text = _CONTROL.sub(" ", text)
    return _SURROGATE.sub(REPLACEMENT, text)


def safe_heading(text: str) -> str:
    """A safe title or heading, cut to `MAX_HEADING_CHARS` (each chunk repeats its headings)."""
    text = safe_text(text)
    return text if len(text) <= MAX_HEADING_CHARS else text[: MAX_HEADING_CHARS - 1] + "…"


def safe_document(document: LoadedDocument) -> LoadedDocument:
    """`document` with every string it carries to the database made safe."""
    return replace(
        document,
        title=safe_heading(document.title),
        url=safe_text(document.url) if document.url else document.url,
        breadcrumbs=tuple(safe_heading(b) for b in document.breadcrumbs),
        sections=tuple(
            Section(safe_text(s.text), tuple(safe_heading(h) for h in s.headings), s.page)
            for s in document.sections
        ),
    )
