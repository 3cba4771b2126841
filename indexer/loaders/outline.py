"""Collects lines under headings into `Section`s, keeping each section's heading path."""

from __future__ import annotations

from indexer.records import Section


class Outline:
    """Feed headings and lines in document order; read back sections with heading paths.

    A heading of level n closes every open heading of level n or deeper, so the path of
    a section is the chain of headings above it (`("Benefits", "Retirement", "401(k)")`).
    """

    def __init__(self, base: tuple[str, ...] = ()) -> None:
        self._base = base
        self._stack: list[tuple[int, str]] = []
        self._lines: list[str] = []
        self._sections: list[Section] = []
        self._page: int | None = None

    @property
    def path(self) -> tuple[str, ...]:
        return (*self._base, *(text for _, text in self._stack))

    def heading(self, level: int, text: str) -> None:
        text = " ".join(text.split())
        if not text:
            return
        self._close()
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, text))

    def page(self, number: int) -> None:
        """What follows is on page `number`: a new section under the same headings."""
        self._close()
        self._page = number

    def line(self, text: str) -> None:
        self._lines.append(text)

    def sections(self) -> tuple[Section, ...]:
        self._close()
        return tuple(self._sections)

    def _close(self) -> None:
        text = _tidy("\n".join(self._lines))
        if text:
            self._sections.append(Section(text=text, headings=self.path, page=self._page))
        self._lines.clear()


def _tidy(text: str) -> str:
    """Strip trailing spaces and keep at most one blank line between paragraphs."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip()
