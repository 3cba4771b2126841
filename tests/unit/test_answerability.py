from bot.answerability import answerable, evidence
from bot.models import Chunk


def _chunk(similarity: float, coverage: float) -> Chunk:
    return Chunk(
        chunk_id=1,
        document_id=1,
        source="hr",
        path="office.md",
        title="Our offices",
        url=None,
        heading_path=(),
        text="",
        page=None,
        updated_at=None,
        indexed_at=None,
        score=similarity,
        similarity=similarity,
        coverage=coverage,
    )


def test_a_similar_passage_without_the_questions_informative_words_is_no_answer() -> None:
    # "can I bring my dog to the office?" finds the office page, but no passage says "dog"
    assert not answerable([_chunk(0.55, 0.2)], floor=0.3)


def test_a_passage_holding_the_questions_words_answers_a_loosely_phrased_question() -> None:
    assert answerable([_chunk(0.5, 0.5)], floor=0.3)


def test_evidence_takes_the_best_similarity_and_the_best_coverage_of_any_passage() -> None:
    found = evidence([_chunk(0.6, 0.1), _chunk(0.4, 0.7)])

    assert (found.similarity, found.coverage) == (0.6, 0.7)


def test_below_the_relevance_floor_nothing_is_answered() -> None:
    assert not answerable([_chunk(0.29, 1.0)], floor=0.3)


def test_vector_only_retrieval_decides_on_similarity_alone() -> None:
    assert answerable([_chunk(0.5, 0.0)], floor=0.3, mode="vector")
    assert not answerable([_chunk(0.4, 0.0)], floor=0.3, mode="vector")
