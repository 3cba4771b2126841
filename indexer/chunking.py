"""Stage 3: heading-aware chunking.

Chunks never cross a section (heading) boundary, carry the document title and heading path,
and are sized for all-MiniLM-L6-v2, which reads at most 256 word pieces: about 1,000
characters of English prose. 800 characters with 120 of overlap leaves room for the heading
path that is prepended before embedding (see docs/chunking.md for the measurement).
"""

from __future__ import annotations

from langchain_text_splitters import RecursiveCharacterTextSplitter

from indexer.records import ChunkDraft, LoadedDocument

CHUNK_SIZE = 800
CHUNK_OVERLAP = 120

_splitter = RecursiveCharacterTextSplitter(
    chunk_size=CHUNK_SIZE,
    chunk_overlap=CHUNK_OVERLAP,
    separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""],
    keep_separator="end",
)


def chunk_document(document: LoadedDocument) -> tuple[ChunkDraft, ...]:
    chunks: list[ChunkDraft] = []
    for section in document.sections:
        headings = _heading_path(document.title, section.headings)
        for piece in _splitter.split_text(section.text):
            text = piece.strip()
            if text:
                chunks.append(ChunkDraft(len(chunks), text, headings, section.page))
    return tuple(chunks)


def _heading_path(title: str, headings: tuple[str, ...]) -> tuple[str, ...]:
    path = [title, *(h for h in headings if h)]
    if len(path) > 1 and path[1].strip().lower() == title.strip().lower():
        path.pop(1)
    return tuple(path)
