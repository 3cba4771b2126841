"""The access rule: in private the asker's groups; in a shared conversation what every listener
may see, never more than the asker may; unknown or too many listeners mean `everyone` only."""

from __future__ import annotations

from collections.abc import AsyncIterator

from bot.audience import ONLY_EVERYONE, Audience, ReadListeners
from bot.groups import Directory
from bot.models import EVERYONE, Asker

DIRECTORY = Directory({"hr": {"U0HR", "dana@acme.example"}, "eng": {"U0ENG", "U0HR"}})
HR, ENG, NEW = Asker("U0HR"), Asker("U0ENG"), Asker("U0NEW")


def reading(*listeners: Asker, fail: bool = False) -> tuple[list[int], ReadListeners]:
    """A member list reader for the tests, counting how often it was read."""
    reads: list[int] = []

    async def read() -> AsyncIterator[Asker]:
        reads.append(1)
        if fail:
            raise ConnectionError("the platform said no")
        for listener in listeners:
            yield listener

    return reads, read


async def test_in_private_the_askers_own_groups_apply() -> None:
    assert Audience(DIRECTORY).private(HR) == {EVERYONE, "hr", "eng"}


async def test_a_shared_conversation_may_use_only_what_every_listener_may_see() -> None:
    audience = Audience(DIRECTORY)

    assert await audience.shared(HR, [HR, ENG]) == {EVERYONE, "eng"}
    assert await audience.shared(HR, [HR, ENG, NEW]) == {EVERYONE}


async def test_never_more_than_the_asker_may_see() -> None:
    # a listener list that (wrongly) leaves out the asker still cannot widen the audience
    assert await Audience(DIRECTORY).shared(NEW, [HR]) == {EVERYONE}
    assert await Audience(DIRECTORY).shared(ENG, [HR]) == {EVERYONE, "eng"}


async def test_unknown_listeners_mean_everyone_only() -> None:
    assert await Audience(DIRECTORY).shared(HR, None) == ONLY_EVERYONE
    assert await Audience(DIRECTORY).shared(HR, []) == ONLY_EVERYONE


async def test_an_email_is_looked_up_only_when_the_id_alone_would_narrow_the_audience() -> None:
    looked_up: list[str] = []

    async def complete(listener: Asker) -> Asker:
        looked_up.append(listener.user_id)
        emails = {"U0DANA": "dana@acme.example"}
        return Asker(listener.user_id, email=emails.get(listener.user_id))

    shared = await Audience(DIRECTORY).shared(HR, [HR, Asker("U0DANA")], complete)

    assert shared == {EVERYONE, "hr"}
    assert looked_up == ["U0HR", "U0DANA"]
    looked_up.clear()
    assert await Audience(DIRECTORY).shared(HR, [Asker("U0NEW"), HR], complete) == {EVERYONE}
    assert looked_up == ["U0NEW"]  # after that nobody can narrow `everyone` any further


async def test_member_lists_are_cached_until_forgotten() -> None:
    audience = Audience(DIRECTORY)
    reads, read = reading(HR, ENG)

    first = await audience.listeners("slack:C1", read)
    again = await audience.listeners("slack:C1", read)
    audience.forget("slack:C1")
    after = await audience.listeners("slack:C1", read)

    assert first == again == after == (HR, ENG)
    assert len(reads) == 2


async def test_member_lists_expire_after_the_ttl() -> None:
    now = [0.0]
    audience = Audience(DIRECTORY, ttl=60, clock=lambda: now[0])
    reads, read = reading(HR)

    await audience.listeners("teams:team:1", read)
    now[0] = 59.0
    await audience.listeners("teams:team:1", read)
    now[0] = 61.0
    await audience.listeners("teams:team:1", read)

    assert len(reads) == 2


async def test_a_list_that_cannot_be_read_is_unknown_and_not_cached() -> None:
    audience = Audience(DIRECTORY)
    reads, read = reading(HR, fail=True)

    assert await audience.listeners("slack:C1", read) is None
    assert await audience.listeners("slack:C1", read) is None
    assert len(reads) == 2


async def test_a_list_longer_than_the_cap_is_unknown_not_partial() -> None:
    audience = Audience(DIRECTORY, max_listeners=2)
    _, three = reading(HR, HR, HR)
    _, two = reading(HR, HR)

    assert await audience.listeners("slack:big", three) is None
    assert await audience.listeners("slack:small", two) == (HR, HR)
