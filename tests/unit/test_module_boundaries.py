"""Who may import whom: the seams that keep a platform SDK or an offline job out of the rest."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def _importers(packages: tuple[str, ...], of: tuple[str, ...]) -> list[str]:
    """The files under `packages` that import a module under `of`."""
    return sorted(
        str(path.relative_to(ROOT))
        for package in packages
        for path in (ROOT / package).rglob("*.py")
        if any(m == o or m.startswith(o + ".") for m in _imports(path) for o in of)
    )


def test_only_the_teams_sdk_seam_imports_the_bot_framework() -> None:
    users = _importers(("bot", "indexer", "adapters"), ("botbuilder", "botframework"))

    assert users == ["adapters/teams/sdk.py"]


def test_only_the_slack_adapter_imports_the_slack_sdks() -> None:
    users = _importers(("bot", "indexer", "adapters"), ("slack_bolt", "slack_sdk"))

    assert users
    assert all(user.startswith("adapters/slack/") for user in users), users


def test_the_engine_and_the_indexer_import_no_adapter_and_no_offline_job() -> None:
    offline = ("adapters", "training", "evaluation")

    assert _importers(("bot",), (*offline, "indexer")) == []
    assert _importers(("indexer",), offline) == []


def test_the_offline_jobs_build_on_the_engine_not_on_the_chat_platforms() -> None:
    assert _importers(("training", "evaluation"), ("adapters",)) == []
