"""Answers as Slack messages: the answer in Slack's own `markdown` block (standard Markdown,
`[n]` markers linked to their sources), then sources, native 👍 / 👎 `feedback_buttons` and
the other buttons; long answers split across messages instead of failing with `msg_too_long`.

The hand-written Markdown -> mrkdwn converter is kept for what a `markdown` block cannot
carry: notification `text`, and short replies (errors, confirmations) in `section` blocks."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters.chat.views import AnswerView, SourceLine, view_of
from bot import texts
from bot.mentions import without_mass_mentions
from bot.models import Answer

Block = dict[str, Any]

ACTION_FEEDBACK = "deskmate_feedback"  # the native feedback_buttons
ACTION_HELPFUL = "deskmate_helpful"  # the buttons of answers posted before feedback_buttons
ACTION_NOT_HELPFUL = "deskmate_not_helpful"
ACTION_HANDOFF = "deskmate_ask_human"
ACTION_SHARE = "deskmate_share"
ACTION_PRIVATE = "deskmate_answer_privately"
RATING_UP, RATING_DOWN = "up", "down"  # in a feedback button's value
FEEDBACK_MODAL = "deskmate_feedback_comment"
COMMENT_BLOCK = "comment"

SECTION_LIMIT = 3000  # characters in one section's text
MESSAGE_BLOCKS = 50  # blocks in one message
MESSAGE_CHARS = 12_000  # answer text per message; Slack folds longer messages anyway
MARKDOWN_LIMIT = 12_000  # characters in a message's markdown blocks, all together
CONTEXT_ELEMENTS = 10
FALLBACK_CHARS = 300


@dataclass(frozen=True)
class Message:
    """One Slack message: `text` is the notification / screen-reader fallback for `blocks`."""

    text: str
    blocks: list[Block] = field(default_factory=list)


@dataclass(frozen=True)
class Extras:
    """What an answer offers besides feedback, decided by the adapter."""

    contact: str | None = None  # "Ask a human" hands the question to this contact
    shareable: bool = False  # an ephemeral answer that may be shared in the channel
    header: str | None = None  # e.g. who asked, when an answer is shared
    note: str | None = None  # e.g. that attachments were not read


# --- Markdown -> mrkdwn ---------------------------------------------------------------------

_FENCE = re.compile(r"```[^\n`]*\n?(.*?)```", re.S)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_AUTOLINK = re.compile(r"<(https?://[^\s>]+)>")
_LINK = re.compile(r"!?\[([^\]\n]+)\]\((\S+?)(?:\s+\"[^\"]*\")?\)")
_MARKER = re.compile(r"\[(\d{1,3})\](?!\()")
_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.M)
_BULLET = re.compile(r"^([ \t]*)[-*+][ \t]+", re.M)
_RULE = re.compile(r"^ {0,3}([-*_])(\s*\1){2,}\s*$", re.M)
_QUOTE = re.compile(r"^&gt;", re.M)
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_KEPT = re.compile(r"\x00(\d+)\x00")
_BOLD_MARK = "\x01"


def escape(text: str) -> str:
    """Text shown as it is written: the three characters Slack reserves for its markup
    (`<!channel>` stays text) escaped, and `@here`-style words defused."""
    return without_mass_mentions(_escape_markup(text))


def _escape_markup(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str, label: str) -> str:
    safe_url = _escape_markup(url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C"))
    return f"<{safe_url}|{label.replace('|', '¦')}>" if label else f"<{safe_url}>"


def to_mrkdwn(markdown: str, citation_urls: Mapping[int, str] | None = None) -> str:
    """Convert the engine's Markdown to Slack mrkdwn; `[n]` markers link to their sources."""
    kept: list[str] = []

    def keep(text: str) -> str:
        kept.append(text)
        return f"\x00{len(kept) - 1}\x00"

    urls = citation_urls or {}
    text = _FENCE.sub(lambda m: keep("```\n" + escape(m.group(1).strip("\n")) + "\n```"), markdown)
    text = _INLINE_CODE.sub(lambda m: keep(f"`{escape(m.group(1))}`"), text)
    text = _AUTOLINK.sub(lambda m: keep(_link(m.group(1), "")), text)
    text = _LINK.sub(lambda m: keep(_link(m.group(2), escape(m.group(1)))), text)
    text = _MARKER.sub(
        lambda m: (
            keep(_link(urls[int(m.group(1))], m.group(0)))
            if int(m.group(1)) in urls
            else m.group(0)
        ),
        text,
    )
    text = escape(text)
    text = _QUOTE.sub(">", text)
    text = _RULE.sub("", text)
    text = _HEADING.sub(lambda m: _BOLD_MARK + _BOLD.sub(r"\2", m.group(1)) + _BOLD_MARK, text)
    text = _BULLET.sub(lambda m: m.group(1) + "• ", text)
    text = _BOLD.sub(lambda m: _BOLD_MARK + m.group(2) + _BOLD_MARK, text)
    text = _ITALIC.sub(r"_\1_", text)
    text = _STRIKE.sub(r"~\1~", text)
    text = text.replace(_BOLD_MARK, "*")
    while _KEPT.search(text):
        text = _KEPT.sub(lambda m: kept[int(m.group(1))], text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def to_plain(mrkdwn: str) -> str:
    """A short notification text: links reduced to their labels, markup kept minimal."""
    text = re.sub(r"<([^|>]+)\|([^>]+)>", r"\2", mrkdwn)
    text = re.sub(r"<([^>]+)>", r"\1", text)
    flat = " ".join(text.split())
    return flat if len(flat) <= FALLBACK_CHARS else flat[: FALLBACK_CHARS - 1] + "…"


# --- standard Markdown for the `markdown` block -----------------------------------------------

_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]+`", re.S)


def to_markdown(text: str, citation_urls: Mapping[int, str] | None = None) -> str:
    """The engine's Markdown for a `markdown` block: Slack's own markup (`<!channel>`,
    `<@U…>`) escaped, `@here`-style words defused, `[n]` markers linked to their sources.
    Code keeps its characters; only a mass mention in it is broken up."""
    urls = citation_urls or {}
    pieces: list[str] = []
    at = 0
    for code in _CODE.finditer(text):
        pieces.append(_markdown_prose(text[at : code.start()], urls))
        pieces.append(without_mass_mentions(code.group(0)).replace("<!", "<\u2060!"))
        at = code.end()
    pieces.append(_markdown_prose(text[at:], urls))
    return "".join(pieces).strip()


def _markdown_prose(text: str, urls: Mapping[int, str]) -> str:
    def marker(match: re.Match[str]) -> str:
        url = urls.get(int(match.group(1)))
        return (
            f"[{match.group(0)}]({url.replace(')', '%29').replace(' ', '%20')})"
            if url
            else match.group(0)
        )

    return _MARKER.sub(marker, escape(text))


def markdown(text: str) -> Block:
    return {"type": "markdown", "text": text}


# --- splitting --------------------------------------------------------------------------------


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraphs, then lines, then spaces, never
    inside a link; a code block cut in two is closed and reopened."""
    pieces: list[str] = []
    rest = text.strip()
    budget = limit - 8  # room to close and reopen a code fence
    while len(rest) > budget:
        cut = _cut_point(rest, budget)
        piece, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if piece.count("```") % 2:
            piece, rest = piece + "\n```", "```\n" + rest
        pieces.append(piece)
    if rest:
        pieces.append(rest)
    return pieces


def _cut_point(text: str, limit: int) -> int:
    for separator in ("\n\n", "\n", " "):
        cut = text.rfind(separator, 0, limit)
        while cut > 0 and text.rfind("<", 0, cut) > text.rfind(">", 0, cut):
            cut = text.rfind(separator, 0, text.rfind("<", 0, cut))
        if cut > limit // 4:
            return cut
    return limit


# --- Block Kit --------------------------------------------------------------------------------


def section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def context(*mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t} for t in mrkdwn]}


def button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def text_message(text: str) -> Message:
    """A plain reply (errors, confirmations), still as blocks so it can replace an answer."""
    mrkdwn = to_mrkdwn(text)
    return Message(to_plain(mrkdwn), [section(p) for p in split_text(mrkdwn)][:MESSAGE_BLOCKS])


def mrkdwn_message(mrkdwn: str) -> Message:
    """A reply already written in Slack's markup (mentions, links, *bold*)."""
    return Message(to_plain(mrkdwn), [section(p) for p in split_text(mrkdwn)][:MESSAGE_BLOCKS])


def partial_message(text: str) -> Message:
    """The answer so far, while the model is still writing (the post-and-update fallback)."""
    body = to_markdown(text)
    shown = body if len(body) < MARKDOWN_LIMIT else body[: MARKDOWN_LIMIT - 2] + " …"
    return Message(to_plain(to_mrkdwn(text)), [markdown(shown)])


def describe(source: SourceLine) -> str:
    title = escape(source.title[:200])
    where = _link(source.url, title) if source.url else f"{title} (`{source.source}`)"
    parts = [f"*[{source.number}]* {where}"]
    if source.pages:
        parts.append(texts.PAGES.format(pages=", ".join(map(str, source.pages))))
    if source.updated:
        parts.append(texts.UPDATED.format(date=f"{source.updated:%Y-%m-%d}"))
    return " · ".join(parts)


def source_blocks(view: AnswerView) -> list[Block]:
    if not view.sources:
        return []
    heading = texts.SOURCES if view.answered else texts.CLOSEST_SOURCES
    lines = [f"*{heading}*", *(describe(s) for s in view.sources)]
    return [
        context(*lines[i : i + CONTEXT_ELEMENTS]) for i in range(0, len(lines), CONTEXT_ELEMENTS)
    ]


def action_value(answer_id: str, **extra: str) -> str:
    return json.dumps({"answer": answer_id, **extra}, separators=(",", ":"))


def read_value(value: str) -> dict[str, str]:
    """The payload of one of our buttons; empty when it is not one."""
    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items() if v is not None}


def feedback_block(answer_id: str) -> Block:
    """Slack's native 👍 / 👎 under an answer; each button's value names the answer and the
    rating, so a click is recorded like the old buttons' clicks."""

    def choice(label: str, rating: str, spoken: str) -> Block:
        return {
            "text": {"type": "plain_text", "text": label, "emoji": True},
            "value": action_value(answer_id, rating=rating),
            "accessibility_label": spoken,
        }

    element = {
        "type": "feedback_buttons",
        "action_id": ACTION_FEEDBACK,
        "positive_button": choice("👍", RATING_UP, texts.FEEDBACK_LABEL_UP),
        "negative_button": choice("👎", RATING_DOWN, texts.FEEDBACK_LABEL_DOWN),
    }
    return {"type": "context_actions", "block_id": f"feedback:{answer_id}", "elements": [element]}


def action_blocks(view: AnswerView, extras: Extras) -> list[Block]:
    answer_id = view.answer_id or ""
    value = action_value(answer_id)
    buttons: list[Block] = []
    if extras.contact:
        handoff = action_value(answer_id, contact=extras.contact)
        buttons.append(button(texts.BUTTON_ASK_HUMAN, ACTION_HANDOFF, handoff))
    if extras.shareable:
        buttons.append(button(texts.BUTTON_SHARE, ACTION_SHARE, value, style="primary"))
    blocks: list[Block] = [feedback_block(answer_id)] if view.answer_id else []
    if view.private_answer_available:
        blocks.append(section(escape(texts.PRIVATE_AVAILABLE)))
        buttons.append(button(texts.BUTTON_PRIVATE, ACTION_PRIVATE, value))
    if buttons:
        blocks.append({"type": "actions", "block_id": f"answer:{answer_id}", "elements": buttons})
    return blocks


def answer_messages(answer: Answer, extras: Extras | None = None) -> list[Message]:
    """The answer, then its note, sources and buttons; as many messages as Slack needs."""
    extras = extras or Extras()
    view = view_of(answer)
    urls = {s.number: s.url for s in view.sources if s.url}
    body = to_markdown(view.text, urls)
    head = [context(extras.header)] if extras.header else []
    groups = _pack(head, split_text(body, MARKDOWN_LIMIT), tail_blocks(view, extras))
    notification = to_plain(to_mrkdwn(view.text, urls))
    return [Message(notification if i == 0 else _fallback(g), g) for i, g in enumerate(groups)]


def tail_blocks(view: AnswerView, extras: Extras) -> list[Block]:
    """What follows the answer's text: its note, sources, feedback and other buttons."""
    tail = [context("📎 " + escape(extras.note))] if extras.note else []
    tail += [context("⚠️ " + escape(view.note))] if view.note else []
    return tail + source_blocks(view) + action_blocks(view, extras)


def _pack(head: list[Block], pieces: list[str], tail: list[Block]) -> list[list[Block]]:
    """One `markdown` block per message (Slack allows 12,000 characters of them per
    message); the tail (sources, buttons) stays together on the last message."""
    messages = [[*head, markdown(p)] if i == 0 else [markdown(p)] for i, p in enumerate(pieces)]
    if not messages:
        messages = [list(head)]
    if len(messages[-1]) + len(tail) > MESSAGE_BLOCKS:
        messages.append([])
    messages[-1] += tail
    return messages


def _fallback(blocks: list[Block]) -> str:
    for block in blocks:
        if block["type"] == "markdown":
            return to_plain(block["text"])
        if block["type"] == "section":
            return to_plain(block["text"]["text"])
    return texts.SOURCES


def feedback_modal(metadata: str) -> Block:
    """The optional comment after a 👎; `metadata` comes back with the submission."""
    return {
        "type": "modal",
        "callback_id": FEEDBACK_MODAL,
        "private_metadata": metadata,
        "title": {"type": "plain_text", "text": texts.FEEDBACK_MODAL_TITLE},
        "submit": {"type": "plain_text", "text": texts.FEEDBACK_MODAL_SUBMIT},
        "close": {"type": "plain_text", "text": texts.FEEDBACK_MODAL_CLOSE},
        "blocks": [
            {
                "type": "input",
                "block_id": COMMENT_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": texts.FEEDBACK_MODAL_LABEL},
                "element": {
                    "type": "plain_text_input",
                    "action_id": COMMENT_BLOCK,
                    "multiline": True,
                    "max_length": 2000,
                },
            }
        ],
    }
