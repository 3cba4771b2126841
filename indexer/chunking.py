"""Stage 3: heading-aware chunking.

Chunks never cross a section (heading) boundary, carry the document title and heading path,
and are sized for all-MiniLM-L6-v2, which reads at most 256 word pieces: about 1,000
characters of English prose. 800 characters with 120 of overlap leaves room for the heading
path prepended before embedding: measured by benchmarks/chunk_size.py, 0.8% of chunks go over
256 pieces at 800 characters (p95 194) against 6.8% at 1,200 and 20% at 1,600, with the same
recall on the sample questions.
"""

from __future__ import annotations

from functools import lru_cache

from langchain_text_splitters import RecursiveCharacterTextSplitter

from indexer.records import ChunkDraft, LoadedDocument

CHUNK_SIZE = 800
CHUNK_OVERLAP = 120


@lru_cache(maxsize=4)
def _splitter(size: int, overlap: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        chunk_size=size,
        chunk_overlap=overlap,
        separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""],
        keep_separator="end",
    )


def chunk_document(
    document: LoadedDocument, size: int = CHUNK_SIZE, overlap: int = CHUNK_OVERLAP
) -> tuple[ChunkDraft, ...]:
    chunks: list[ChunkDraft] = []
    splitter = _splitter(size, overlap)
    for section in document.sections:
        headings = _heading_path(document.title, section.headings)
        for piece in splitter.split_text(section.text):
            text = piece.strip()
            if text:
                chunks.append(ChunkDraft(len(chunks), text, headings, section.page))
    return tuple(chunks)


def _heading_path(title: str, headings: tuple[str, ...]) -> tuple[str, ...]:
    path = [title, *(h for h in headings if h)]
    if len(path) > 1 and path[1].strip().lower() == title.strip().lower():
        path.pop(1)
    return tuple(path)
