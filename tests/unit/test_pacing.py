"""Partial answers are passed on at the platform's pace: at most one per interval, never two
at once, only the latest text, and none after a send failed."""

from __future__ import annotations

import asyncio

from adapters.chat.pacing import PacedText


async def test_the_latest_text_is_sent_at_most_once_per_interval() -> None:
    now = [0.0]
    sent: list[str] = []

    async def send(text: str) -> None:
        sent.append(text)

    paced = PacedText(send, 1.5, clock=lambda: now[0])
    for step, text in enumerate(["a", "ab", "abc", "abcd"]):
        now[0] = step * 0.5  # 0, 0.5, 1.0, 1.5 s
        await paced.on_text(text)
        await asyncio.sleep(0)
    await paced.close()

    assert sent == ["a", "abcd"]


async def test_nothing_is_sent_while_a_send_is_in_flight() -> None:
    release = asyncio.Event()
    sent: list[str] = []

    async def slow(text: str) -> None:
        sent.append(text)
        await release.wait()

    paced = PacedText(slow, 0.0)
    await paced.on_text("a")
    await asyncio.sleep(0)
    await paced.on_text("ab")  # the first is still on its way
    release.set()
    await paced.close()

    assert sent == ["a"]


async def test_after_a_failed_send_no_more_partial_text_is_sent() -> None:
    tried: list[str] = []

    async def failing(text: str) -> None:
        tried.append(text)
        raise ConnectionError("platform down")

    paced = PacedText(failing, 0.0)
    await paced.on_text("a")
    await paced.close()
    await paced.on_text("ab")
    await paced.close()

    assert (tried, paced.failed, paced.sent) == (["a"], True, 0)


async def test_a_budget_that_says_no_skips_the_update() -> None:
    sent: list[str] = []

    async def send(text: str) -> None:
        sent.append(text)

    paced = PacedText(send, 0.0, allow=lambda: False)
    await paced.on_text("a")
    await paced.close()

    assert sent == []
