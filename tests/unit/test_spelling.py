from bot.spelling import best, candidates, is_english, unfamiliar_words


def test_english_words_with_common_endings_are_known_and_misspellings_are_not() -> None:
    assert is_english("holiday")
    assert is_english("massages")
    assert is_english("dentist")
    assert not is_english("holliday")
    assert not is_english("helth")


def test_only_long_enough_words_that_are_not_english_may_be_misspelt() -> None:
    words = unfamiliar_words("Whos the pention provider? typs of helth plans, the pention again")

    assert words == ["pention", "helth"]  # "whos" and "typs" are too short to tell


def test_candidates_are_english_words_one_edit_away_with_the_same_first_letter() -> None:
    assert candidates("promotoins") == ["promotions"]  # two letters swapped
    assert candidates("holliday") == ["holiday"]  # one letter too many
    assert candidates("trasit") == ["trait", "transit"]  # one letter missing, or changed
    assert "mention" not in candidates("pention")  # another first letter


def test_swapping_two_neighbouring_letters_is_one_edit_and_two_changes_are_not() -> None:
    assert candidates("reprot") == ["report"]
    assert "claim" not in candidates("clame")


def test_the_candidate_the_knowledge_base_holds_most_is_meant_if_it_is_not_rare() -> None:
    assert best([("trait", 4), ("transit", 63)]) == "transit"
    assert best([("trait", 2)]) is None  # too rare to trust
    assert best([]) is None
