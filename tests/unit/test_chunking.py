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
    doc = _doc(
        Section("Page one text.", headings=("Sick leave",), page=1),
        Section("Page two text.", headings=("Travel",), page=2),
    )

    chunks = chunk_document(doc)

    assert [(c.text, c.page, c.last_page) for c in chunks] == [
        ("Page one text.", 1, None),
        ("Page two text.", 2, None),
    ]
    assert [c.ordinal for c in chunks] == [0, 1]


def test_a_section_running_over_a_page_break_is_one_text_citing_both_pages() -> None:
    first = "\n".join(f"Rule {i} of the sick leave policy applies." for i in range(30))
    doc = _doc(
        Section(first, headings=("Sick leave",), page=7),
        Section("Bring a fit note after seven days.", headings=("Sick leave",), page=8),
        Section("Book trains early.", headings=("Travel",), page=8),
    )

    chunks = chunk_document(doc)

    spanning = [c for c in chunks if c.last_page == 8]
    assert len(spanning) == 1
    assert spanning[0].page == 7
    assert "seven days" in spanning[0].text
    assert "Rule 29" in spanning[0].text
    assert all(c.page == 7 and c.last_page is None for c in chunks[: chunks.index(spanning[0])])
    assert (chunks[-1].text, chunks[-1].page, chunks[-1].last_page) == (
        "Book trains early.",
        8,
        None,
    )


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
