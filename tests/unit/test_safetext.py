"""Text made safe for PostgreSQL: no NUL or control characters, no lone surrogates."""

from __future__ import annotations

from indexer.records import LoadedDocument, Section
from indexer.safetext import MAX_HEADING_CHARS, safe_document, safe_text


def test_nul_and_control_characters_become_spaces_and_line_breaks_stay() -> None:
    assert safe_text("Expense\x00 claims\x07 are\tdue\r\nin 30\x7f days\x0c") == (
        "Expense  claims  are\tdue\r\nin 30  days "
    )


def test_a_lone_surrogate_becomes_the_replacement_character() -> None:
    text = b"caf\xe9 menu".decode("utf-8", errors="surrogateescape")

    assert safe_text(text) == "caf\ufffd menu"
    assert safe_text(text).encode("utf-8")  # now valid UTF-8


def test_every_string_of_a_document_is_made_safe() -> None:
    document = LoadedDocument(
        source="kb",
        path="policy.pdf",
        title="Pol\x00icy",
        sections=(Section("Line\x00one", ("Head\udcffing",), page=2),),
        breadcrumbs=("Sp\x01ace",),
        url="https://example.com/\x00",
    )

    safe = safe_document(document)

    assert (safe.title, safe.breadcrumbs, safe.url) == (
        "Pol icy",
        ("Sp ace",),
        "https://example.com/ ",
    )
    assert safe.sections == (Section("Line one", ("Head\ufffding",), page=2),)


def test_a_title_or_heading_from_a_huge_single_line_is_cut() -> None:
    line = "word " * 400_000  # a 2 MB "# heading" line: every chunk would repeat it
    document = LoadedDocument("kb", "huge.md", line, (Section("Body.", (line,)),))

    safe = safe_document(document)

    assert len(safe.title) == len(safe.sections[0].headings[0]) == MAX_HEADING_CHARS
    assert safe.title.endswith("…")
