"""Renders an HTML element as readable text into an `Outline`: headings, lines, lists, tables."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from bs4 import BeautifulSoup
from bs4.element import Comment, Doctype, NavigableString, ProcessingInstruction, Tag
from lxml import etree

from bot.errors import LoadError
from indexer.limits import current_limits
from indexer.loaders.outline import Outline

DROPPED_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "nav",
        "header",
        "footer",
        "svg",
        "iframe",
        "form",
        "button",
        "head",
    ]
)
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_BLOCKS = frozenset(
    [
        "p",
        "div",
        "section",
        "article",
        "main",
        "aside",
        "blockquote",
        "dl",
        "dt",
        "dd",
        "figure",
        "figcaption",
        "address",
        "details",
        "summary",
        "hr",
        "br",
        "center",
        "body",
    ]
)
_SKIPPED_STRINGS = (Comment, Doctype, ProcessingInstruction)
_FEED_BYTES = 64 * 1024
_FRAMES_PER_LEVEL = 4  # block -> _children -> _tag (-> _list) per nested element


def to_soup(markup: bytes | str) -> BeautifulSoup:
    """The parsed page; raises LoadError when it nests deeper than `DESKMATE_HTML_MAX_DEPTH`."""
    limit = current_limits().html_max_depth
    if nests_deeper(markup.encode() if isinstance(markup, str) else markup, limit):
        raise LoadError(f"HTML nests more than {limit:,} elements deep (DESKMATE_HTML_MAX_DEPTH)")
    return BeautifulSoup(markup, "lxml")


def nests_deeper(markup: bytes, limit: int) -> bool:
    """True when elements nest deeper than `limit`: a pass of lxml's pull parser, which
    stops at the first element too deep (milliseconds, where building the tree takes seconds)."""
    parser = etree.HTMLPullParser(events=("start", "end"), huge_tree=True, recover=True)
    depth = 0
    for start in range(0, len(markup), _FEED_BYTES):
        parser.feed(markup[start : start + _FEED_BYTES])
        for event, _ in parser.read_events():
            depth += 1 if event == "start" else -1
            if depth > limit:
                return True
    return False


def nesting_depth(root: Tag) -> int:
    """How many elements deep the tree under `root` goes (counted without recursion)."""
    deepest = 0
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.contents if isinstance(child, Tag))
    return deepest


def text_of(element: Tag) -> str:
    """The element's text with whitespace collapsed to single spaces."""
    return " ".join(element.get_text(" ").split())


def render(element: Tag, outline: Outline) -> None:
    """Feed `element`'s headings and text lines, in document order, into `outline`."""
    with _room_to_recurse(nesting_depth(element)):
        _Renderer(outline).block(element)


@contextmanager
def _room_to_recurse(depth: int) -> Iterator[None]:
    """The renderer recurses a few frames per element: make room for `depth` elements."""
    limit = sys.getrecursionlimit()
    needed = _stack_depth() + _FRAMES_PER_LEVEL * depth + 100
    sys.setrecursionlimit(max(limit, needed))
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def _stack_depth() -> int:
    frame: FrameType | None = sys._getframe()
    depth = 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


class _Renderer:
    def __init__(self, outline: Outline) -> None:
        self._outline = outline
        self._words: list[str] = []
        self._prefix = ""
        self._depth = 0

    def block(self, element: Tag) -> None:
        self._flush()
        self._children(element)
        self._flush()

    def _children(self, element: Tag) -> None:
        for child in element.children:
            if isinstance(child, Tag):
                self._tag(child)
            elif isinstance(child, NavigableString) and not isinstance(child, _SKIPPED_STRINGS):
                self._words.append(str(child))

    def _tag(self, tag: Tag) -> None:
        name = tag.name
        if name in DROPPED_TAGS:
            return
        if name in _HEADINGS:
            self._flush()
            self._outline.heading(_HEADINGS[name], text_of(tag))
        elif name in ("ul", "ol"):
            self._list(tag)
        elif name == "table":
            self._table(tag)
        elif name == "pre":
            self._flush()
            self._outline.line(tag.get_text().strip("\n"))
        elif name in _BLOCKS:
            self.block(tag)
        else:
            self._children(tag)

    def _list(self, tag: Tag) -> None:
        self._flush()
        self._depth += 1
        for number, child in enumerate(tag.find_all("li", recursive=False), start=1):
            marker = f"{number}." if tag.name == "ol" else "-"
            saved, self._prefix = self._prefix, "  " * (self._depth - 1) + marker + " "
            self.block(child)
            self._prefix = saved
        self._depth -= 1

    def _table(self, tag: Tag) -> None:
        self._flush()
        for row in tag.find_all("tr"):
            if row.find_parent("table") is not tag:
                continue
            cells = [text_of(cell) for cell in row.find_all(("th", "td"), recursive=False)]
            if any(cells):
                self._outline.line(" | ".join(cells))

    def _flush(self) -> None:
        text = " ".join("".join(self._words).split())
        self._words.clear()
        if text:
            self._outline.line(self._prefix + text)
