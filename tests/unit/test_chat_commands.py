"""Commands mean the same on every platform: one grammar, one admin rule."""

from __future__ import annotations

from adapters.chat.commands import Command, is_admin, parse


def test_help_status_and_reindex_are_commands_and_anything_else_is_a_question() -> None:
    assert parse("help") == Command("help")
    assert parse("  STATUS ") == Command("status")
    assert parse("/status") == Command("status")
    assert parse("reindex hr eng-wiki") == Command("reindex", "hr eng-wiki")
    assert parse("reindex hr eng-wiki").sources == ("hr", "eng-wiki")
    assert parse("ask What is the ESPP discount?") == Command("ask", "What is the ESPP discount?")
    assert parse("What is the ESPP discount?") == Command("ask", "What is the ESPP discount?")


def test_help_and_status_with_more_words_are_questions() -> None:
    assert parse("status of my expense claim") == Command("ask", "status of my expense claim")
    assert parse("help me with the VPN") == Command("ask", "help me with the VPN")


def test_digest_here_and_digest_off_are_commands_and_other_digests_are_questions() -> None:
    assert parse("digest here") == Command("digest_here")
    assert parse(" Digest  OFF ") == Command("digest_off")
    assert parse("digest of the travel policy") == Command("ask", "digest of the travel policy")
    assert parse("digest") == Command("ask", "digest")


def test_nothing_at_all_asks_for_help_and_a_bare_ask_has_no_question() -> None:
    assert parse("") == Command("help")
    assert parse("ask") == Command("ask", "")


def test_an_admin_is_recognised_by_any_of_their_ids_whatever_the_case() -> None:
    admins = ["U0ADMIN", "3f2a-aad-object-id", " "]

    assert is_admin(admins, "U0ADMIN")
    assert is_admin(admins, "29:teams-id", "3F2A-AAD-OBJECT-ID")
    assert not is_admin(admins, "U0ALICE", None)
    assert not is_admin(admins, "")
