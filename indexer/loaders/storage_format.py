"""Confluence storage format (the XHTML with `ac:` and `ri:` elements that pages are saved in)
as clean text with headings, for XML space exports and live sync alike.

The `ac:`/`ri:` elements are rewritten into plain HTML first (a code macro becomes `<pre>`, an
info panel a paragraph headed "Info:", a page link its title, a mention the person's name),
then the HTML renderer every loader shares turns it into sections.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bs4 import BeautifulSoup, Tag

from indexer.loaders.htmltext import render
from indexer.loaders.outline import Outline
from indexer.records import Section

UserName = Callable[[str], str | None]  # a user key or account id -> display name

_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_PANELS = {
    "info": "Info",
    "note": "Note",
    "warning": "Warning",
    "tip": "Tip",
    "panel": "",
    "expand": "",
    "details": "",
    "section": "",
    "column": "",
    "excerpt": "",
    "status": "",
}
_CODE_MACROS = frozenset({"code", "noformat"})
_DROPPED_MACROS = frozenset(
    {"toc", "children", "pagetree", "recently-updated", "contentbylabel", "attachments", "anchor"}
)


def storage_sections(body: str, user_name: UserName | None = None) -> tuple[Section, ...]:
    """Sections (with heading paths) of a page body in storage format."""
    soup = BeautifulSoup(_CDATA.sub(lambda m: _escape(m.group(1)), body), "lxml")
    _rewrite(soup, user_name or (lambda _key: None))
    outline = Outline()
    render(soup, outline)
    return outline.sections()


def storage_text(body: str) -> str:
    """The page body as one plain text (for tests and previews)."""
    return "\n\n".join(section.text for section in storage_sections(body))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _rewrite(soup: BeautifulSoup, user_name: UserName) -> None:
    # innermost first, so a macro inside a panel is rewritten before the panel is; the parts
    # of a macro, link or task (bodies, parameters, `ri:` targets) are read by their owner
    for element in reversed(soup.find_all(re.compile(r"^ac:"))):
        if isinstance(element, Tag) and element.name not in _PARTS:
            _REWRITES.get(element.name, _unwrap)(soup, element, user_name)
    for element in soup.find_all(re.compile(r"^(ac|ri):")):
        if isinstance(element, Tag) and element.parent is not None:
            if element.name.startswith("ac:"):
                element.unwrap()
            else:
                element.decompose()


def _macro(soup: BeautifulSoup, tag: Tag, user_name: UserName) -> None:
    name = str(tag.get("ac:name", "")).lower()
    parameters = {
        str(p.get("ac:name", "")): p.get_text(" ", strip=True)
        for p in tag.find_all("ac:parameter", recursive=False)
    }
    for parameter in tag.find_all("ac:parameter", recursive=False):
        parameter.decompose()  # macro settings (colours, widths, ids) are not page text
    if name in _DROPPED_MACROS:
        tag.decompose()
    elif name in _CODE_MACROS:
        _replace(soup, tag, "pre", _body_text(tag), title=parameters.get("title"))
    elif name == "jira":
        tag.replace_with(parameters.get("key", ""))
    elif name in _PANELS or tag.find("ac:rich-text-body", recursive=False) is not None:
        _panel(soup, tag, _PANELS.get(name, ""), parameters.get("title", ""))
    else:  # a macro with no body of its own (a chart, a gadget): nothing to read
        tag.decompose()


def _panel(soup: BeautifulSoup, tag: Tag, kind: str, title: str) -> None:
    label = ": ".join(part for part in (kind, title) if part)
    block = soup.new_tag("div")
    if label:
        lead = soup.new_tag("p")
        lead.string = label + ("" if title else ":")
        block.append(lead)
    body = tag.find("ac:rich-text-body", recursive=False)
    for child in list((body or tag).children):
        block.append(child.extract())
    tag.replace_with(block)


def _replace(soup: BeautifulSoup, tag: Tag, name: str, text: str, title: str | None = None) -> None:
    block = soup.new_tag("div")
    if title:
        lead = soup.new_tag("p")
        lead.string = title
        block.append(lead)
    inner = soup.new_tag(name)
    inner.string = text
    block.append(inner)
    tag.replace_with(block)


def _body_text(tag: Tag) -> str:
    body = tag.find("ac:plain-text-body") or tag
    return body.get_text().strip("\n")


def _link(soup: BeautifulSoup, tag: Tag, user_name: UserName) -> None:
    """A link reads as its own text, else what it points to: a page title, a file, a person."""
    body = tag.find(("ac:link-body", "ac:plain-text-link-body"), recursive=False)
    if body is None:
        tag.replace_with(_target_name(tag, user_name))
    else:  # a link drawn as an image only (a "next page" arrow) says nothing
        tag.replace_with(body.get_text(" ", strip=True))


def _target_name(tag: Tag, user_name: UserName) -> str:
    page = tag.find("ri:page")
    if isinstance(page, Tag):
        return str(page.get("ri:content-title", ""))
    attachment = tag.find("ri:attachment")
    if isinstance(attachment, Tag):
        return str(attachment.get("ri:filename", ""))
    user = tag.find("ri:user")
    if isinstance(user, Tag):
        return _person(user, user_name)
    for name in ("ri:blog-post", "ri:space", "ri:url"):
        target = tag.find(name)
        if isinstance(target, Tag):
            return str(
                target.get("ri:content-title")
                or target.get("ri:space-key")
                or target.get("ri:value", "")
            )
    anchor = tag.get("ac:anchor")
    return str(anchor) if anchor else ""


def _person(user: Tag, user_name: UserName) -> str:
    key = str(user.get("ri:account-id") or user.get("ri:userkey") or user.get("ri:username") or "")
    name = user_name(key) if key else None
    return f"@{name or user.get('ri:username') or 'user'}"


def _emoticon(soup: BeautifulSoup, tag: Tag, user_name: UserName) -> None:
    fallback = tag.get("ac:emoji-fallback")
    name = str(tag.get("ac:name", "")).replace("-", " ")
    tag.replace_with(str(fallback) if fallback else f":{name}:" if name else "")


def _image(soup: BeautifulSoup, tag: Tag, user_name: UserName) -> None:
    alt = tag.get("ac:alt") or tag.get("ac:title")
    tag.replace_with(f"[image: {alt}]" if alt else "")


def _task(soup: BeautifulSoup, tag: Tag, user_name: UserName) -> None:
    status = tag.find("ac:task-status")
    done = isinstance(status, Tag) and status.get_text(strip=True) == "complete"
    item = soup.new_tag("li")
    body = tag.find("ac:task-body")
    item.append("[x] " if done else "[ ] ")
    for child in list((body or tag).children):
        if isinstance(child, Tag) and child.name in ("ac:task-id", "ac:task-status"):
            continue
        item.append(child.extract())
    tag.replace_with(item)


def _rename(name: str) -> Callable[[BeautifulSoup, Tag, UserName], None]:
    def rename(soup: BeautifulSoup, tag: Tag, user_name: UserName) -> None:
        tag.name = name
        tag.attrs = {}

    return rename


def _unwrap(soup: BeautifulSoup, tag: Tag, user_name: UserName) -> None:
    tag.unwrap()


def _placeholder(soup: BeautifulSoup, tag: Tag, user_name: UserName) -> None:
    tag.decompose()  # the editor's "type here" hints


_REWRITES: dict[str, Callable[[BeautifulSoup, Tag, UserName], None]] = {
    "ac:structured-macro": _macro,
    "ac:macro": _macro,
    "ac:link": _link,
    "ac:image": _image,
    "ac:emoticon": _emoticon,
    "ac:task": _task,
    "ac:task-list": _rename("ul"),
    "ac:layout": _rename("div"),
    "ac:layout-section": _rename("div"),
    "ac:layout-cell": _rename("div"),
    "ac:placeholder": _placeholder,
    "ac:inline-comment-marker": _unwrap,
}
_PARTS = frozenset(
    {
        "ac:link-body",
        "ac:plain-text-link-body",
        "ac:plain-text-body",
        "ac:rich-text-body",
        "ac:parameter",
        "ac:task-body",
        "ac:task-id",
        "ac:task-status",
    }
)
