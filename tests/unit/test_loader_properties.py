"""Property-based: whatever bytes a file holds, a loader returns documents or raises LoadError.

And once a parse job has run, every document's text is safe for PostgreSQL. Random bytes under
every supported extension, truncated PDF and DOCX files, non-UTF-8 text, deeply nested HTML
and Markdown, huge single lines.
"""

from __future__ import annotations

import contextlib
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import LoadError
from indexer.jobs import FileJob, execute
from indexer.limits import Limits
from indexer.loaders import SUPPORTED_SUFFIXES, load_file
from indexer.records import FileError, LoadedDocument, Source, SourceFile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PROPERTIES = settings(
    max_examples=30,
    deadline=None,
    database=None,  # the suite leaves the working tree clean
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
_counter = itertools.count()


def _write(folder: Path, suffix: str, data: bytes) -> SourceFile:
    path = folder / f"file-{next(_counter)}{suffix}"
    path.write_bytes(data)
    return SourceFile(Source(name="kb", kind="files", path=folder), path, path.name)


def _holds_the_invariant(file: SourceFile) -> None:
    """The loader raises nothing but LoadError; the job's output is safe for the database."""
    with contextlib.suppress(LoadError):
        load_file(file)
    for item in execute(FileJob(file), Limits()).items:
        assert isinstance(item, LoadedDocument | FileError)
        if isinstance(item, LoadedDocument):
            for text in (item.title, *(s.text for s in item.sections)):
                assert "\x00" not in text
                text.encode("utf-8")  # no lone surrogates


@pytest.mark.parametrize("suffix", sorted(SUPPORTED_SUFFIXES))
@PROPERTIES
@given(data=st.binary(max_size=4096))
def test_random_bytes_under_every_extension(tmp_path: Path, suffix: str, data: bytes) -> None:
    _holds_the_invariant(_write(tmp_path, suffix, data))


@pytest.mark.parametrize(
    "fixture", ["files/onboarding-checklist.pdf", "files/equipment-catalogue.docx"]
)
@PROPERTIES
@given(cut=st.floats(min_value=0.0, max_value=1.0), flip=st.integers(min_value=0))
def test_truncated_and_damaged_pdf_and_docx(
    tmp_path: Path, fixture: str, cut: float, flip: int
) -> None:
    data = bytearray((FIXTURES / fixture).read_bytes())
    data = data[: int(len(data) * cut)]
    if data:
        data[flip % len(data)] ^= 0xFF
    _holds_the_invariant(_write(tmp_path, Path(fixture).suffix, bytes(data)))


@pytest.mark.parametrize("suffix", [".md", ".txt", ".csv", ".html"])
@PROPERTIES
@given(
    text=st.text(min_size=1, max_size=2000),
    encoding=st.sampled_from(["utf-16", "cp1252", "latin-1", "utf-8", "shift_jis", "koi8-r"]),
)
def test_text_in_any_encoding(tmp_path: Path, suffix: str, text: str, encoding: str) -> None:
    data = text.encode(encoding, errors="replace")
    _holds_the_invariant(_write(tmp_path, suffix, data))


@PROPERTIES
@given(
    depth=st.integers(min_value=1, max_value=3000),
    tags=st.lists(
        st.sampled_from(["div", "ul", "li", "table", "tr", "td", "blockquote", "span", "h2"]),
        min_size=1,
        max_size=5,
    ),
)
def test_deeply_nested_html(tmp_path: Path, depth: int, tags: list[str]) -> None:
    opening = "".join(f"<{tags[n % len(tags)]}>" for n in range(depth))
    closing = "".join(f"</{tags[n % len(tags)]}>" for n in reversed(range(depth)))
    page = f"<html><body>{opening}Deep text{closing}</body></html>"
    _holds_the_invariant(_write(tmp_path, ".html", page.encode()))


@PROPERTIES
@given(
    depth=st.integers(min_value=1, max_value=5000),
    marker=st.sampled_from(["> ", "- ", "  ", "1. ", "#", "```"]),
)
def test_deeply_nested_markdown(tmp_path: Path, depth: int, marker: str) -> None:
    page = f"# Title\n\n{marker * depth}Deep text\n"
    _holds_the_invariant(_write(tmp_path, ".md", page.encode()))


@pytest.mark.parametrize("suffix", [".md", ".txt", ".csv", ".tsv", ".html", ".htm"])
def test_a_huge_single_line(tmp_path: Path, suffix: str) -> None:
    line = ("word," * 400_000).encode()  # 2 MB without a line break
    _holds_the_invariant(_write(tmp_path, suffix, b"# heading " + line))


def test_an_encrypted_pdf_is_a_load_error() -> None:
    source = Source(name="kb", kind="files", path=FIXTURES / "bad")
    file = SourceFile(source, FIXTURES / "bad" / "encrypted.pdf", "encrypted.pdf")

    with pytest.raises(LoadError, match="encrypted"):
        load_file(file)
    _holds_the_invariant(file)
