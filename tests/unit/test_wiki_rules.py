"""Confluence live sync rules: permission inheritance, backoff, configuration, credentials."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.models import EVERYONE
from indexer.permissions import Readers, page_audience
from indexer.sources import load_sources
from indexer.wiki.client import MAX_WAIT_S, Credentials, retry_wait

SPACE = Readers(groups=frozenset({"confluence-users", "hr"}))
HR_ONLY = Readers(groups=frozenset({"hr"}))
DANA = Readers(emails=frozenset({"Dana@Acme.example"}))
NONE = Readers()


def test_a_page_without_restrictions_anywhere_inherits_the_space() -> None:
    assert page_audience(SPACE, [NONE, NONE], ["confluence-users"]) == (EVERYONE, "hr")


def test_the_nearest_restricted_ancestor_decides() -> None:
    assert page_audience(SPACE, [NONE, HR_ONLY, DANA]) == ("hr",)
    assert page_audience(SPACE, [DANA, HR_ONLY]) == ("user:dana@acme.example",)


def test_empty_restrictions_mean_inherit_never_nobody() -> None:
    assert page_audience(SPACE, [NONE]) != ()


def test_groups_listed_as_everyone_groups_become_everyone() -> None:
    readers = Readers(groups=frozenset({"Confluence-Users"}))

    assert page_audience(readers, [], ["confluence-users"]) == (EVERYONE,)


def test_retry_after_is_honoured_up_to_a_cap_and_backoff_grows_with_jitter() -> None:
    assert retry_wait("2", 1) == 2.0
    assert retry_wait("86400", 1) == MAX_WAIT_S
    first, third = retry_wait(None, 1), retry_wait(None, 3)
    assert 0.5 <= first <= 0.75
    assert 2.0 <= third <= 3.0
    assert 0.5 <= retry_wait("Wed, 21 Oct 2026 07:28:00 GMT", 1) <= 0.75


def _sources(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n" + body)
    return path


def test_a_live_source_needs_no_path_and_reads_its_scope(tmp_path: Path) -> None:
    [source] = load_sources(
        _sources(
            tmp_path,
            "  - name: wiki\n    kind: confluence-cloud\n"
            "    base_url: https://acme.atlassian.net/wiki/\n"
            "    spaces: [HR, ENG]\n    everyone_groups: confluence-users\n",
        )
    )

    assert source.live
    assert source.base_url == "https://acme.atlassian.net/wiki"
    assert (source.spaces, source.everyone_groups) == (("HR", "ENG"), ("confluence-users",))


def test_credentials_in_sources_yaml_are_refused(tmp_path: Path) -> None:
    path = _sources(
        tmp_path,
        "  - name: wiki\n    kind: confluence-datacenter\n    base_url: https://wiki.acme\n"
        "    spaces: [HR]\n    token: abc123\n",
    )

    with pytest.raises(ConfigError, match="CONFLUENCE_TOKEN") as caught:
        load_sources(path)
    assert "abc123" not in str(caught.value)


def test_a_live_source_without_spaces_or_cql_is_refused(tmp_path: Path) -> None:
    path = _sources(
        tmp_path, "  - name: wiki\n    kind: confluence-cloud\n    base_url: https://a.b/wiki\n"
    )

    with pytest.raises(ConfigError, match="spaces"):
        load_sources(path)


def test_missing_credentials_say_which_variables_to_set() -> None:
    with pytest.raises(ConfigError, match="CONFLUENCE_EMAIL and CONFLUENCE_API_TOKEN"):
        Credentials().auth_header("confluence-cloud")
    with pytest.raises(ConfigError, match="CONFLUENCE_TOKEN"):
        Credentials(email="a@b.c", api_token="t").auth_header("confluence-datacenter")


def test_credentials_never_show_in_their_repr() -> None:
    credentials = Credentials(email="a@b.c", api_token="secret-token", token="pat-secret")

    assert "secret" not in repr(credentials)
    assert credentials.auth_header("confluence-datacenter") == "Bearer pat-secret"
