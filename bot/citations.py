"""Citations: one per document, numbered in order, with markers in the text mapped and checked."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from bot.models import Chunk, Citation

MARKER = re.compile(r"\[(\d{1,3})\]")
SNIPPET_CHARS = 240


def citations_for(chunks: Sequence[Chunk]) -> tuple[Citation, ...]:
    """One citation per document, best first; each lists the pages of its chunks, best
    chunk's pages first."""
    order: dict[int, list[Chunk]] = {}
    for chunk in chunks:
        order.setdefault(chunk.document_id, []).append(chunk)
    citations = []
    for number, group in enumerate(order.values(), start=1):
        best = group[0]
        pages = tuple(dict.fromkeys(page for c in group for page in c.pages))
        citations.append(
            Citation(
                number=number,
                title=best.title,
                url=best.url,
                source=best.source,
                path=best.path,
                snippet=snippet(best.text),
                score=best.score,
                updated_at=best.updated_at,
                indexed_at=best.indexed_at,
                pages=pages,
            )
        )
    return tuple(citations)


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def apply_markers(text: str, passage_to_citation: dict[int, int]) -> tuple[str, tuple[int, ...]]:
    """Renumber passage markers [n] to citation numbers; drop markers that match no passage.

    Returns the rewritten text and the citation numbers it uses, in order of first use.
    """
    used: list[int] = []

    def replace(match: re.Match[str]) -> str:
        number = passage_to_citation.get(int(match.group(1)))
        if number is None:
            return ""
        if number not in used:
            used.append(number)
        return f"[{number}]"

    rewritten = MARKER.sub(replace, text)
    rewritten = re.sub(r"(\[\d+\])(\1)+", r"\1", rewritten)  # [1][1] -> [1]
    rewritten = re.sub(r"[ \t]+([.,;:!?])", r"\1", rewritten)
    return re.sub(r"[ \t]{2,}", " ", rewritten).strip(), tuple(used)


def renumber(
    text: str, citations: Sequence[Citation], used: Sequence[int]
) -> tuple[str, tuple[Citation, ...]]:
    """Keep only the cited sources, numbered 1..n in order of first use, markers to match."""
    by_number = {c.number: c for c in citations}
    kept = [n for n in used if n in by_number]
    new_number = {old: new for new, old in enumerate(kept, start=1)}
    rewritten = MARKER.sub(lambda m: f"[{new_number.get(int(m.group(1)), 0)}]", text)
    return rewritten.replace("[0]", ""), tuple(
        replace(by_number[old], number=new) for old, new in new_number.items()
    )
