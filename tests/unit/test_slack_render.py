"""How answers look in Slack: the answer in a `markdown` block with linked citations, sources,
native 👍 / 👎 feedback buttons, long answers within Slack's limits, mrkdwn where a block
cannot be used (notification text, short replies), and how often a streamed answer may be
updated."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from adapters.slack.render import (
    ACTION_FEEDBACK,
    ACTION_HANDOFF,
    ACTION_PRIVATE,
    ACTION_SHARE,
    MARKDOWN_LIMIT,
    MESSAGE_BLOCKS,
    Block,
    Extras,
    Message,
    answer_messages,
    partial_message,
    split_text,
    to_markdown,
    to_mrkdwn,
)
from adapters.slack.streaming import UpdateBudget
from bot import texts
from bot.models import Answer, Citation

BENEFITS = Citation(
    number=1,
    title="Benefits Guide 2026",
    url="https://hr.halyard.example/exports/benefits-guide.docx",
    source="hr",
    path="benefits-guide.docx",
    snippet="The ESPP lets you buy shares at a 15% discount.",
    score=0.9,
    updated_at=datetime(2026, 1, 5, tzinfo=UTC),
)
PTO = Citation(
    number=2,
    title="Paid Time Off Policy",
    url=None,
    source="hr",
    path="pto-policy.pdf",
    snippet="20 days",
    score=0.5,
    pages=(1, 3),
)


def answer(text: str = "The ESPP discount is **15%** [1].", **fields: object) -> Answer:
    values: dict[str, object] = {
        "text": text,
        "citations": (BENEFITS, PTO),
        "answered": True,
        "grounded": True,
        "answer_id": "a1b2c3",
    }
    values.update(fields)
    return Answer(**values)  # type: ignore[arg-type]


def blocks_of(message: Message, kind: str) -> list[Block]:
    return [b for b in message.blocks if b["type"] == kind]


def buttons(message: Message) -> dict[str, Block]:
    return {e["action_id"]: e for b in blocks_of(message, "actions") for e in b["elements"]}


def context_text(message: Message) -> str:
    return "\n".join(e["text"] for b in blocks_of(message, "context") for e in b["elements"])


# --- Markdown -> mrkdwn -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "mrkdwn"),
    [
        ("**bold** and __bold__", "*bold* and *bold*"),
        ("*italic* and _italic_", "_italic_ and _italic_"),
        ("~~gone~~", "~gone~"),
        ("[the policy](https://wiki.example/pto)", "<https://wiki.example/pto|the policy>"),
        ("<https://wiki.example/pto>", "<https://wiki.example/pto>"),
        ("# Travel\n## Booking **flights**", "*Travel*\n*Booking flights*"),
        ("- one\n* two\n  + nested", "• one\n• two\n  • nested"),
        ("1. first\n2. second", "1. first\n2. second"),
        ("> quoted", "> quoted"),
        ("R&D <team> > 5", "R&amp;D &lt;team&gt; &gt; 5"),
        ("`a < b` and **`code`**", "`a &lt; b` and *`code`*"),
        (
            "```python\nif a < b:\n    print('**not bold**')\n```",
            "```\nif a &lt; b:\n    print('**not bold**')\n```",
        ),
        ("above\n\n---\n\nbelow", "above\n\nbelow"),
        ("see [a|b](https://x.example/?q=1&r=2)", "see <https://x.example/?q=1&amp;r=2|a¦b>"),
    ],
)
def test_markdown_becomes_slack_mrkdwn(markdown: str, mrkdwn: str) -> None:
    assert to_mrkdwn(markdown) == mrkdwn


def test_citation_markers_link_to_their_source_when_it_has_an_address() -> None:
    text = to_mrkdwn("15% [1], 20 days [2].", {1: "https://hr.example/benefits"})

    assert text == "15% <https://hr.example/benefits|[1]>, 20 days [2]."


# --- an answer as Block Kit ---------------------------------------------------------------


def test_an_answer_is_its_markdown_then_numbered_sources_then_native_feedback_buttons() -> None:
    (message,) = answer_messages(answer())

    kinds = [b["type"] for b in message.blocks]
    assert kinds == ["markdown", "context", "context_actions"]
    assert message.blocks[0] == {
        "type": "markdown",
        "text": "The ESPP discount is **15%** "
        "[[1]](https://hr.halyard.example/exports/benefits-guide.docx).",
    }
    assert context_text(message).split("\n") == [
        "*Sources*",
        "*[1]* <https://hr.halyard.example/exports/benefits-guide.docx|Benefits Guide 2026>"
        " · updated 2026-01-05",
        "*[2]* Paid Time Off Policy (`hr`) · p. 1, 3",
    ]
    assert buttons(message) == {}  # nothing but feedback to offer
    (feedback,) = blocks_of(message, "context_actions")[0]["elements"]
    assert feedback["type"] == "feedback_buttons"
    assert feedback["action_id"] == ACTION_FEEDBACK
    assert json.loads(feedback["positive_button"]["value"]) == {"answer": "a1b2c3", "rating": "up"}
    assert json.loads(feedback["negative_button"]["value"]) == {
        "answer": "a1b2c3",
        "rating": "down",
    }
    assert message.text == "The ESPP discount is *15%* [1]."  # the notification: mrkdwn, no links


@pytest.mark.parametrize(
    ("engine_text", "shown"),
    [
        pytest.param("<!channel> see [1]", "&lt;!channel&gt; see [1]", id="Slack markup"),
        pytest.param("ask @here now", "ask @\u2060here now", id="mass mention"),
        pytest.param("run `a <b> c`", "run `a <b> c`", id="code keeps its characters"),
        pytest.param("`<!here>` too", "`<\u2060!here>` too", id="but pings nobody"),
    ],
)
def test_the_markdown_block_escapes_slack_markup_and_pings_nobody(
    engine_text: str, shown: str
) -> None:
    assert to_markdown(engine_text) == shown


def test_i_dont_know_shows_the_closest_sources() -> None:
    (message,) = answer_messages(answer(texts.DONT_KNOW, answered=False, grounded=False))

    assert context_text(message).startswith(f"*{texts.CLOSEST_SOURCES}*")


def test_a_note_is_shown_as_a_warning_above_the_sources() -> None:
    (message,) = answer_messages(answer(note_kind="llm_fallback"))

    assert context_text(message).startswith("⚠️ " + texts.LLM_FALLBACK_NOTE)


def test_extras_add_ask_a_human_share_and_a_header() -> None:
    extras = Extras(contact="#it-help", shareable=True, header="<@U0ALICE> asked: VPN?")

    (message,) = answer_messages(answer(), extras)

    assert message.blocks[0] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "<@U0ALICE> asked: VPN?"}],
    }
    handoff = json.loads(buttons(message)[ACTION_HANDOFF]["value"])
    assert handoff == {"answer": "a1b2c3", "contact": "#it-help"}
    assert ACTION_SHARE in buttons(message)


def test_a_better_private_answer_is_announced_with_a_button() -> None:
    (message,) = answer_messages(answer(private_answer_available=True))

    sections = [b["text"]["text"] for b in blocks_of(message, "section")]
    assert sections[-1] == texts.PRIVATE_AVAILABLE
    assert ACTION_PRIVATE in buttons(message)


def test_many_sources_fill_several_context_blocks_of_at_most_ten_elements() -> None:
    many = tuple(Citation(n, f"Doc {n}", None, "hr", f"d{n}.md", "", 0.5) for n in range(1, 15))

    (message,) = answer_messages(answer("Lots [1].", citations=many))

    contexts = blocks_of(message, "context")
    assert [len(c["elements"]) for c in contexts] == [10, 5]


# --- Slack's limits -----------------------------------------------------------------------


def test_a_long_answer_is_split_into_sections_and_messages_within_slacks_limits() -> None:
    paragraphs = [f"Paragraph {i}. " + "Words about benefits. " * 60 for i in range(120)]

    messages = answer_messages(answer("\n\n".join(paragraphs)))

    assert len(messages) > 1
    for message in messages:
        assert len(message.blocks) <= MESSAGE_BLOCKS
        assert sum(len(b["text"]) for b in blocks_of(message, "markdown")) <= MARKDOWN_LIMIT
        assert message.text
    assert all(not blocks_of(m, "context_actions") for m in messages[:-1])
    assert blocks_of(messages[-1], "context_actions")
    shown = " ".join(b["text"] for m in messages for b in blocks_of(m, "markdown"))
    assert all(f"Paragraph {i}." in shown for i in range(120))


def test_one_enormous_line_is_cut_at_spaces_never_inside_a_link() -> None:
    link = "<https://wiki.example/a-very-long-page|a link with spaces in its label>"
    text = " ".join(["word"] * 600 + [link] + ["word"] * 600)

    pieces = split_text(text, limit=3000)

    assert all(len(p) <= 3000 for p in pieces)
    assert sum(p.count(link) for p in pieces) == 1
    assert " ".join(pieces).split() == text.split()


def test_a_code_block_cut_in_two_is_closed_and_reopened() -> None:
    code = "```\n" + "\n".join(f"line {i}" for i in range(800)) + "\n```"

    pieces = split_text(code, limit=3000)

    assert len(pieces) > 1
    assert all(p.startswith("```") and p.endswith("```") for p in pieces)


# --- streaming ----------------------------------------------------------------------------


def test_a_partial_answer_is_one_markdown_block_without_buttons() -> None:
    message = partial_message("The ESPP discount is **15" + "%" * 15_000)

    assert [b["type"] for b in message.blocks] == ["markdown"]
    assert len(message.blocks[0]["text"]) <= MARKDOWN_LIMIT


def test_partial_updates_share_a_tier_3_budget_of_fifty_a_minute() -> None:
    now = [0.0]
    budget = UpdateBudget(per_minute=50, clock=lambda: now[0])

    burst = sum(budget.take() for _ in range(80))
    now[0] += 6.0  # six seconds later: five more
    later = sum(budget.take() for _ in range(80))

    assert (burst, later) == (50, 5)
