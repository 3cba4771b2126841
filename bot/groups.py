"""Who belongs to which group (`groups.yaml`); what listeners may hear is `bot.audience`."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.errors import ConfigError
from bot.models import EVERYONE, USER_PREFIX, Asker


class Directory:
    """group -> member ids (Slack user ids, Teams AAD object ids, e-mail addresses)."""

    def __init__(self, members: dict[str, set[str]]) -> None:
        self._groups_of: dict[str, set[str]] = {}
        for group, ids in members.items():
            for member in ids:
                self._groups_of.setdefault(member.lower(), set()).add(group)

    @classmethod
    def from_file(cls, path: Path) -> Directory:
        if not path.exists():
            return cls({})
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
        groups = data.get("groups", data) if isinstance(data, dict) else None
        if not isinstance(groups, dict):
            raise ConfigError(f"{path} must map group names to lists of member ids")
        return cls({str(g): {str(m) for m in (ids or [])} for g, ids in groups.items()})

    def groups_of(self, asker: Asker) -> frozenset[str]:
        """The asker's groups; everyone belongs to `everyone`, and an asker whose e-mail is known
        to `user:<email>` (how a page restricted to named people reaches them)."""
        found = {EVERYONE}
        if asker.email:
            found.add(USER_PREFIX + asker.email.lower())
        for key in (asker.user_id, asker.email):
            if key:
                found |= self._groups_of.get(key.lower(), set())
        return frozenset(found)
