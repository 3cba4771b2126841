from indexer.chunking import CHUNK_SIZE, chunk_document
from indexer.records import LoadedDocument, Section


def _doc(*sections: Section) -> LoadedDocument:
    return LoadedDocument(source="hr", path="leave.md", title="Leave policy", sections=sections)


def test_chunks_carry_the_title_and_heading_path() -> None:
    doc = _doc(Section("Sixteen weeks of paid leave.", headings=("Parental leave", "Primary")))

    (chunk,) = chunk_document(doc)

    assert chunk.heading_path == ("Leave policy", "Parental leave", "Primary")
    assert chunk.embed_text.startswith("Leave policy > Parental leave > Primary\n")


def test_a_heading_equal_to_the_title_is_not_repeated() -> None:
    (chunk,) = chunk_document(_doc(Section("Text.", headings=("Leave Policy", "Scope"))))

    assert chunk.heading_path == ("Leave policy", "Scope")


def test_chunks_never_cross_sections_and_keep_their_page() -> None:
    doc = _doc(Section("Page one text.", page=1), Section("Page two text.", page=2))

    chunks = chunk_document(doc)

    assert [(c.text, c.page) for c in chunks] == [("Page one text.", 1), ("Page two text.", 2)]
    assert [c.ordinal for c in chunks] == [0, 1]


def test_long_sections_are_split_to_the_model_size_with_overlap() -> None:
    sentences = " ".join(f"Rule number {i} says something specific." for i in range(200))

    chunks = chunk_document(_doc(Section(sentences)))

    assert len(chunks) > 5
    assert all(len(c.text) <= CHUNK_SIZE for c in chunks)
    assert chunks[0].text.split()[-1] in chunks[1].text  # overlap keeps context


def test_content_hash_changes_with_text_and_not_otherwise() -> None:
    a = _doc(Section("Same text."))
    b = _doc(Section("Same text."))
    c = _doc(Section("Other text."))

    assert a.content_hash == b.content_hash
    assert a.content_hash != c.content_hash
