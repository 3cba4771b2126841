from dataclasses import replace

from bot.models import Chunk
from bot.ranking import Fusion, by_keyword, cap_per_document, fuse


def _chunk(
    chunk_id: int,
    document_id: int,
    *,
    similarity: float = 0.5,
    bm25: float = 0.0,
    coverage: float = 0.0,
    vector_rank: int | None = None,
    keyword_rank: int | None = None,
) -> Chunk:
    return Chunk(
        chunk_id=chunk_id,
        document_id=document_id,
        source="hr",
        path=f"doc{document_id}.md",
        title=f"Doc {document_id}",
        url=None,
        heading_path=(),
        text="",
        page=None,
        updated_at=None,
        indexed_at=None,
        score=similarity,
        similarity=similarity,
        keyword_rank=keyword_rank,
        vector_rank=vector_rank,
        bm25=bm25,
        coverage=coverage,
    )


def test_a_keyword_hit_covering_the_question_lifts_a_close_vector_runner_up() -> None:
    vector_first = _chunk(1, 1, similarity=0.62, vector_rank=1)
    both = _chunk(2, 2, similarity=0.60, bm25=9.0, coverage=1.0, vector_rank=2, keyword_rank=1)

    assert [c.chunk_id for c in fuse([vector_first, both])] == [2, 1]


def test_a_keyword_leg_that_matched_a_stray_word_barely_counts() -> None:
    vector_first = _chunk(1, 1, similarity=0.62, vector_rank=1)
    stray = _chunk(2, 2, similarity=0.55, bm25=9.0, coverage=0.1, vector_rank=2, keyword_rank=1)

    assert [c.chunk_id for c in fuse([vector_first, stray])] == [1, 2]
    trusting = Fusion(trust_coverage=False)
    assert [c.chunk_id for c in fuse([vector_first, stray], trusting)] == [2, 1]


def test_weighted_rrf_adds_the_keyword_leg_at_its_weight() -> None:
    a = _chunk(1, 1, vector_rank=1)
    b = _chunk(2, 2, vector_rank=2, keyword_rank=1)

    assert [c.chunk_id for c in fuse([a, b], Fusion("rrf", keyword_weight=1.0))] == [2, 1]
    assert [c.chunk_id for c in fuse([a, b], Fusion("rrf", keyword_weight=0.01))] == [1, 2]


def test_the_keyword_leg_alone_ranks_by_bm25_and_drops_chunks_without_a_match() -> None:
    ranked = by_keyword([_chunk(1, 1, bm25=1.0), _chunk(2, 2), _chunk(3, 3, bm25=4.0)])

    assert [c.chunk_id for c in ranked] == [3, 1]


def test_the_document_a_question_names_ranks_before_its_near_twin() -> None:
    standard = replace(_chunk(1, 1, similarity=0.62), title="Northwind Standard Benefits Details")
    plus = replace(_chunk(2, 2, similarity=0.60), title="Northwind_Health_Plus_Benefits_Details")
    question = "what is the copay for Northwind Health Plus?"

    assert [c.chunk_id for c in fuse([standard, plus], query=question)] == [2, 1]
    assert [c.chunk_id for c in fuse([standard, plus])] == [1, 2]  # no question: no boost
    assert [c.chunk_id for c in fuse([standard, plus], Fusion(title_weight=0), question)] == [1, 2]


def test_at_most_per_document_chunks_of_one_document_are_kept() -> None:
    ranked = [_chunk(1, 1), _chunk(2, 1), _chunk(3, 1), _chunk(4, 2), _chunk(5, 3)]

    kept = cap_per_document(ranked, per_document=2, limit=3)

    assert [c.chunk_id for c in kept] == [1, 2, 4]


def _on_page(chunk_id: int, document_id: int, page: int, last_page: int | None = None) -> Chunk:
    return replace(_chunk(chunk_id, document_id), page=page, last_page=last_page)


def test_a_chunk_citing_only_pages_already_cited_gives_way_to_one_citing_a_new_page() -> None:
    ranked = [_on_page(1, 1, 4), _on_page(2, 1, 4), _on_page(3, 1, 3, 4), _on_page(4, 1, 9)]

    kept = cap_per_document(ranked, per_document=5, limit=3)

    assert [c.chunk_id for c in kept] == [1, 3, 4]  # 3 runs onto page 3: a new page


def test_chunks_repeating_a_page_still_fill_the_limit_in_ranking_order() -> None:
    ranked = [_on_page(1, 1, 4), _on_page(2, 1, 4), _on_page(3, 2, 7), _on_page(4, 2, 7)]

    kept = cap_per_document(ranked, per_document=5, limit=3)

    assert [c.chunk_id for c in kept] == [1, 2, 3]


def test_the_same_page_number_of_another_document_is_a_new_page() -> None:
    ranked = [_on_page(1, 1, 4), _on_page(2, 2, 4), _on_page(3, 1, 4)]

    kept = cap_per_document(ranked, per_document=5, limit=2)

    assert [c.chunk_id for c in kept] == [1, 2]
