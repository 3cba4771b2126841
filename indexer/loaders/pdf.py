"""PDF: sections per page, so answers can cite the page a fact is on, under the headings the
text layer shows (`indexer.loaders.pdf_headings`)."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

from bot.errors import LoadError
from indexer.loaders.parsed import Parsed, as_utc
from indexer.loaders.pdf_headings import sections_of

_ENCRYPTED = "PDF is encrypted; export it again without a password"


def parse(path: Path) -> Parsed:
    with _quiet_pypdf():
        reader = _open(path)
        sections = sections_of(_pages(reader))
        if not sections:
            raise LoadError("PDF has no extractable text (scanned?)")
        title, updated_at = _metadata(reader)
    return Parsed(title=title, sections=sections, updated_at=updated_at)


def _open(path: Path) -> PdfReader:
    try:
        reader = PdfReader(path, strict=False)
        locked = reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED
        if not locked:
            len(reader.pages)  # a broken page tree fails here rather than page by page
    except (FileNotDecryptedError, DependencyError) as exc:
        raise LoadError(_ENCRYPTED) from exc
    except OSError as exc:
        raise LoadError(f"could not read file ({exc.strerror or exc})") from exc
    except Exception as exc:  # pypdf raises many types on damaged files
        raise LoadError(f"not a valid PDF file ({_describe(exc)})") from exc
    if locked:
        raise LoadError(_ENCRYPTED)
    return reader


def _pages(reader: PdfReader) -> Iterator[tuple[int, list[str]]]:
    """Each page's number and its text lines, whitespace tidied; unreadable pages skipped."""
    for number, page in enumerate(reader.pages, start=1):
        try:
            text = page.extract_text() or ""
        except Exception:  # noqa: S112 - one unreadable page must not lose the others
            continue
        lines = [" ".join(line.split()) for line in text.splitlines()]
        kept = [line for line in lines if line]
        if kept:
            yield number, kept


def _metadata(reader: PdfReader) -> tuple[str | None, datetime | None]:
    try:
        info = reader.metadata
        if info is None:
            return None, None
        title = " ".join((info.title or "").split()) or None
        return title, as_utc(info.modification_date)
    except Exception:  # damaged metadata is not worth losing the document over
        return None, None


def _describe(exc: Exception) -> str:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return reason if isinstance(exc, PdfReadError) else f"{type(exc).__name__}: {reason}"


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """Silence pypdf's warnings about damaged files; the LoadError says what matters."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR + 10)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)
