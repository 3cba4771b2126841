"""Suggested prompts: what an assistant offers to ask before anyone has typed.

From `DESKMATE_SUGGESTED_PROMPTS` when it is set; otherwise made from the titles of documents
the person may see (so a prompt never names a document they cannot read), topped up with a
default set. Slack shows them in the app's Messages tab; Teams' prompt starters are fixed in
its manifest.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import texts
from bot.store.documents import DocumentStore

MAX_PROMPTS = 4  # Slack shows at most four
MAX_TITLE = 60  # a prompt's title is a button label
MAX_MESSAGE = 200


@dataclass(frozen=True)
class Prompt:
    title: str  # what the button says
    message: str  # what is asked when it is chosen


def prompt(message: str) -> Prompt:
    text = " ".join(message.split())[:MAX_MESSAGE]
    title = text if len(text) <= MAX_TITLE else text[: MAX_TITLE - 1].rstrip() + "…"
    return Prompt(title, text)


async def suggested_prompts(
    configured: tuple[str, ...], documents: DocumentStore, groups: frozenset[str]
) -> list[Prompt]:
    """The configured prompts, or ones about the newest documents `groups` may see."""
    if configured:
        return [prompt(p) for p in configured[:MAX_PROMPTS]]
    titles = await documents.titles(groups, MAX_PROMPTS)
    made = [texts.SUGGESTED_PROMPT_FROM_TITLE.format(title=t) for t in titles]
    return [prompt(p) for p in [*made, *texts.DEFAULT_PROMPTS][:MAX_PROMPTS]]
