from dataclasses import replace
from datetime import UTC, datetime

from bot.citations import apply_markers, citations_for, renumber, snippet
from bot.models import Chunk


def _chunk(chunk_id: int, document_id: int, path: str, page: int | None = None) -> Chunk:
    return Chunk(
        chunk_id=chunk_id,
        document_id=document_id,
        source="hr",
        path=path,
        title=path.upper(),
        url=None,
        heading_path=(),
        text=f"text of {chunk_id}",
        page=page,
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
        indexed_at=None,
        score=1.0 / chunk_id,
        similarity=0.5,
    )


def test_one_citation_per_document_in_rank_order_with_its_pages_best_first() -> None:
    chunks = [_chunk(1, 10, "pto.pdf", 2), _chunk(2, 20, "faq.md"), _chunk(3, 10, "pto.pdf", 1)]

    citations = citations_for(chunks)

    assert [(c.number, c.path, c.pages) for c in citations] == [
        (1, "pto.pdf", (2, 1)),
        (2, "faq.md", ()),
    ]


def test_a_chunk_running_over_a_page_break_cites_each_page_it_covers() -> None:
    chunks = [replace(_chunk(1, 10, "plan.pdf", 9), last_page=10), _chunk(2, 10, "plan.pdf", 4)]

    [citation] = citations_for(chunks)

    assert citation.pages == (9, 10, 4)


def test_passage_markers_become_citation_numbers_and_unknown_ones_are_dropped() -> None:
    text, used = apply_markers("Twenty days [3]. Carry over five [1][7].", {1: 1, 2: 2, 3: 2})

    assert text == "Twenty days [2]. Carry over five [1]."
    assert used == (2, 1)


def test_repeated_markers_collapse() -> None:
    text, used = apply_markers("Yes [1][2].", {1: 1, 2: 1})

    assert text == "Yes [1]."
    assert used == (1,)


def test_snippets_are_short_and_cut_at_a_word() -> None:
    assert snippet("word " * 200, limit=30).endswith("…")
    assert len(snippet("word " * 200, limit=30)) <= 30


def test_only_cited_sources_are_kept_and_renumbered_in_order_of_use() -> None:
    citations = citations_for([_chunk(1, 10, "a.md"), _chunk(2, 20, "b.md"), _chunk(3, 30, "c.md")])

    text, kept = renumber("Yes [3], and also [1].", citations, (3, 1))

    assert text == "Yes [1], and also [2]."
    assert [(c.number, c.path) for c in kept] == [(1, "c.md"), (2, "a.md")]
