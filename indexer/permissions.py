"""Who may read a Confluence page, as a document audience.

A page is readable by its space's readers unless the page or one of its ancestors carries read
restrictions: then the nearest restricted one decides (Confluence's inheritance). Empty
restrictions mean "inherit", never "nobody". Confluence groups become audience groups of the
same name, individually permitted people become `user:<email>`, and the groups listed in
`everyone_groups` become `everyone`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.models import EVERYONE, USER_PREFIX


@dataclass(frozen=True)
class Readers:
    """The groups and people a space permission or a read restriction names."""

    groups: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not self.groups and not self.emails


def page_audience(
    space: Readers,
    restrictions: Sequence[Readers],
    everyone_groups: Iterable[str] = (),
) -> tuple[str, ...]:
    """`restrictions` runs from the page itself up to the top ancestor."""
    readers = next((r for r in restrictions if not r.empty), space)
    return to_audience(readers, everyone_groups)


def to_audience(readers: Readers, everyone_groups: Iterable[str] = ()) -> tuple[str, ...]:
    """Sorted audience entries; an audience nobody is in stays empty (nothing is shown)."""
    everyone = {g.lower() for g in everyone_groups}
    entries = {EVERYONE if g.lower() in everyone else g for g in readers.groups}
    entries |= {USER_PREFIX + e.lower() for e in readers.emails}
    return tuple(sorted(entries))
