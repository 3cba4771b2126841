"""PowerPoint decks: each slide a section titled by its title, with its text, tables and notes."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pptx import Presentation
from pptx.exc import PackageNotFoundError

from bot.errors import LoadError
from indexer.loaders.parsed import Parsed, as_utc, require_text
from indexer.loaders.tabular import header_value_lines
from indexer.records import Section

MAX_SLIDES = 2_000


def parse(path: Path) -> Parsed:
    try:
        with path.open("rb") as handle:
            deck = Presentation(handle)
            sections = tuple(_slides(deck))
            props = deck.core_properties
            title = " ".join((props.title or "").split()) or None
            updated_at = as_utc(props.modified)
    except OSError as exc:
        raise LoadError(f"could not read file ({exc.strerror or exc})") from exc
    except (PackageNotFoundError, zipfile.BadZipFile) as exc:
        raise LoadError("not a valid PPTX file (zip is corrupt)") from exc
    except Exception as exc:  # python-pptx fails in many ways on damaged parts
        raise LoadError(f"could not read PPTX content ({type(exc).__name__})") from exc
    sections = require_text(sections, "PPTX has no text")
    return Parsed(title=title or sections[0].headings[0], sections=sections, updated_at=updated_at)


def _slides(deck: Any) -> Iterator[Section]:
    for number, slide in enumerate(deck.slides, start=1):
        if number > MAX_SLIDES:
            return
        title_shape = slide.shapes.title
        title = _clean(title_shape.text_frame.text) if title_shape is not None else ""
        title_id = title_shape.shape_id if title_shape is not None else None
        lines = [
            line for shape in slide.shapes if shape.shape_id != title_id for line in _lines(shape)
        ]
        notes = _notes(slide)
        if notes:
            lines += ["", "Speaker notes:", *notes]
        if any(line.strip() for line in lines) or title:
            heading = title or f"Slide {number}"
            yield Section(text="\n".join(lines).strip() or title, headings=(heading,), page=number)


def _lines(shape: Any) -> Iterator[str]:
    """A shape's paragraphs (bulleted by level), a table's rows, or a group's shapes in turn."""
    if getattr(shape, "shape_type", None) is not None and hasattr(shape, "shapes"):
        for child in shape.shapes:  # a group shape
            yield from _lines(child)
    elif getattr(shape, "has_table", False):
        yield from header_value_lines(
            [[_clean(cell.text) for cell in row.cells] for row in shape.table.rows]
        )
    elif getattr(shape, "has_text_frame", False):
        for paragraph in shape.text_frame.paragraphs:
            text = _clean("".join(run.text for run in paragraph.runs))
            if text:
                yield "  " * paragraph.level + ("- " if paragraph.level else "") + text


def _notes(slide: Any) -> list[str]:
    if not slide.has_notes_slide:
        return []
    frame = slide.notes_slide.notes_text_frame
    if frame is None:
        return []
    return [text for p in frame.paragraphs if (text := _clean("".join(r.text for r in p.runs)))]


def _clean(text: str) -> str:
    return " ".join(text.replace("\x0b", " ").split())
