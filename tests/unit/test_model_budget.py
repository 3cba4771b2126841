"""A model call has a time budget it cannot outlive, whatever the HTTP stack does with a cancel."""

from __future__ import annotations

import asyncio

import pytest

from bot.llm import within


async def test_a_call_inside_its_budget_returns_its_result() -> None:
    async def quick() -> str:
        await asyncio.sleep(0.01)
        return "done"

    assert await within(1.0, quick()) == "done"


async def test_a_call_that_swallows_the_first_cancel_is_cancelled_again_until_it_stops() -> None:
    cancels = 0

    async def stubborn() -> str:
        # What a library timeout scope can do: take our cancel for its own and carry on.
        nonlocal cancels
        while True:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                cancels += 1
                if cancels > 1:
                    raise

    with pytest.raises(TimeoutError):
        await within(0.05, stubborn())
    assert cancels == 2


async def test_a_bug_inside_the_call_is_raised_as_itself() -> None:
    async def broken() -> str:
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        await within(1.0, broken())
