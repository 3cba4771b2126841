"""Training data for the tone model: curated examples and 👍 answers -> checked chat JSONL."""

from __future__ import annotations

import json
from pathlib import Path

from bot.prompts import ANSWER_SYSTEM
from bot.store.feedback import Feedback
from bot.tone.prompts import TONE_SYSTEM, from_rewrite_user_message
from tests.conftest import EXAMPLES
from training.tone.dataset import Edit, build_dataset, read_curated, split, write_dataset
from training.tone.scrub import scrub
from training.tone.validation import check_file, epochs_for, example_tokens, token_report

SHIPPED = EXAMPLES / "tone" / "examples.jsonl"


def _write(path: Path, *lines: object) -> Path:
    path.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    )
    return path


def _rewrite(n: int) -> dict[str, str]:
    return {"draft": f"Employees accrue {n} days [1].", "answer": f"You get {n} days [1]."}


def _liked(answer_id: str, answer: str, question: str = "How many days?") -> Feedback:
    return Feedback(answer_id, "slack", "U1", 1, None, question, answer, [])


def test_the_shipped_examples_make_a_valid_dataset_out_of_the_box() -> None:
    dataset = build_dataset(SHIPPED)

    assert dataset.errors == ()
    assert (dataset.curated, len(dataset.train), len(dataset.validation)) == (15, 12, 3)
    for example in (*dataset.train, *dataset.validation):
        assert [m["role"] for m in example.messages] == ["system", "user", "assistant"]
    systems = {e.messages[0]["content"] for e in (*dataset.train, *dataset.validation)}
    assert systems == {TONE_SYSTEM, ANSWER_SYSTEM}


def test_a_draft_example_teaches_the_rewrite_prompt_used_at_answer_time(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "examples.jsonl",
        {"question": "PTO?", "draft": "Employees accrue 20 days [1].", "answer": "You get 20 [1]."},
    )

    (example,), problems = read_curated(path)

    assert problems == []
    system, user, assistant = example.messages
    assert system["content"] == TONE_SYSTEM
    assert from_rewrite_user_message(user["content"]) == ("PTO?", "Employees accrue 20 days [1].")
    assert assistant["content"] == "You get 20 [1]."
    assert example.origin == "examples.jsonl:1"


def test_a_context_example_teaches_the_direct_answer_prompt(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "examples.jsonl",
        {
            "question": "Hotel budget?",
            "context": [{"source": "Travel Policy > Hotels", "text": "The limit is $250."}],
            "answer": "Up to $250 a night [1].",
        },
    )

    (example,), _ = read_curated(path)

    assert example.messages[0]["content"] == ANSWER_SYSTEM
    user = example.messages[1]["content"]
    assert (
        '<passage id="1" source="Travel Policy > Hotels">\nThe limit is $250.\n</passage>' in user
    )
    assert user.endswith("Question: Hotel budget?")


def test_malformed_examples_get_one_clear_error_per_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "examples.jsonl",
        _rewrite(1),
        '{"draft": "Employees accrue 20 days [1]", "answer": ',
        {"draft": "You get 20 days [1].", "answer": "  "},
        {"draft": "You get 20 days [1].", "anwser": "You get 20 days [1]."},
        {"question": "Leave?", "answer": "16 weeks."},
        {"draft": "You get 16 weeks [1].", "answer": "You get lots of leave [1]."},
        {"question": "Hotel?", "context": "The limit is $250.", "answer": "Up to $300 [1]."},
        {"draft": "You get 20 days [1]. " + "Really. " * 9000, "answer": "You get 20 days [1]."},
    )

    dataset = build_dataset(path, max_tokens=16_385)

    assert [str(p) for p in dataset.errors[:-1]] == [
        "examples.jsonl:2: not valid JSON (Expecting value at column 53)",
        'examples.jsonl:3: "answer" is empty',
        "examples.jsonl:4: unknown field 'anwser'",
        'examples.jsonl:5: give either a "draft" to rewrite or the "context"',
        "examples.jsonl:6: the answer does not keep the draft's facts (lost 16)",
        "examples.jsonl:7: the answer states $300, which the context does not",
        "examples.jsonl:8: about 18,150 tokens, over the 16,385-token limit per example",
    ]
    assert dataset.errors[-1].where == "dataset"  # and too few usable examples are left
    assert not dataset.ok


def test_too_few_examples_is_an_error_and_few_is_a_warning(tmp_path: Path) -> None:
    few = build_dataset(_write(tmp_path / "a.jsonl", *map(_rewrite, range(5))))
    enough = build_dataset(_write(tmp_path / "b.jsonl", *map(_rewrite, range(20))))

    assert [p.message for p in few.errors] == [
        "4 training examples; OpenAI needs at least 10. "
        "Add curated examples or collect more 👍 answers"
    ]
    assert enough.errors == ()
    assert [p.message for p in enough.warnings] == [
        "16 training examples; OpenAI usually sees clear gains from 50 to 100"
    ]


def test_email_addresses_and_phone_numbers_are_scrubbed_but_dates_and_amounts_stay() -> None:
    text, count = scrub(
        "Write to hr@halyard.example or call +1 415 555 0142 or (020) 7946 0958 "
        "before 2026-03-31 about your $25,000 budget [1]."
    )

    assert text == (
        "Write to [email address] or call [phone number] or [phone number] "
        "before 2026-03-31 about your $25,000 budget [1]."
    )
    assert count == 3


def test_duplicates_are_dropped_and_curated_examples_win(tmp_path: Path) -> None:
    curated = _write(tmp_path / "e.jsonl", *map(_rewrite, range(12)), _rewrite(3))
    liked = [_liked("a1", "Employees accrue 3 days [1].", question="")]

    dataset = build_dataset(curated, liked, validation_fraction=0)

    assert dataset.duplicates == 2
    answers = [e.messages[2]["content"] for e in dataset.train]
    assert answers.count("You get 3 days [1].") == 1
    assert "Employees accrue 3 days [1]." not in answers


def test_liked_answers_are_kept_as_sent_or_taught_as_the_admins_rewrite() -> None:
    liked = [
        _liked("kept", "Employees accrue 20 days [1]."),
        _liked("edited", "Employees receive 10 sick days [1]."),
        _liked("dropped", "Something unhelpful."),
        _liked("kept", "Employees accrue 20 days [1]."),  # 👍 by a second person
    ]
    edits = {
        "edited": Edit("You have 10 sick days a year [1].", "edits.jsonl:1"),
        "dropped": Edit(None, "edits.jsonl:2"),
        "gone": Edit("Whatever.", "edits.jsonl:3"),
    }

    dataset = build_dataset(None, liked, edits, validation_fraction=0)

    pairs = [
        (from_rewrite_user_message(e.messages[1]["content"]), e.messages[2]["content"])
        for e in dataset.train
    ]
    assert sorted(pairs) == [
        (("How many days?", "Employees accrue 20 days [1]."), "Employees accrue 20 days [1]."),
        (
            ("How many days?", "Employees receive 10 sick days [1]."),
            "You have 10 sick days a year [1].",
        ),
    ]
    assert [str(w) for w in dataset.warnings] == [
        "edits.jsonl:3: no 👍 answer has id 'gone'; edit ignored",
    ]


def test_an_admin_edit_that_loses_a_fact_is_rejected_at_its_line() -> None:
    liked = [_liked("a1", "You get 16 weeks of leave [1].")]
    edits = {"a1": Edit("You get plenty of leave [1].", "edits.jsonl:4")}

    dataset = build_dataset(None, liked, edits)

    assert str(dataset.errors[0]) == (
        "edits.jsonl:4: the answer does not keep the draft's facts (lost 16)"
    )


def test_the_split_is_reproducible_and_keeps_at_least_one_validation_example() -> None:
    examples = build_dataset(SHIPPED, validation_fraction=0).train

    first, second = split(examples, 0.2, seed=7), split(examples, 0.2, seed=7)

    assert first == second
    assert len(split(examples[:3], 0.1, seed=7)[1]) == 1
    assert len(split(examples, 0.0, seed=7)[1]) == 0


def test_tokens_are_estimated_at_four_characters_each_with_openai_framing() -> None:
    messages = [{"role": "user", "content": "x" * 40}, {"role": "assistant", "content": "y" * 9}]

    assert example_tokens(messages) == 3 + (3 + 10) + (3 + 3)


def test_billed_tokens_follow_the_chosen_or_default_epochs() -> None:
    examples = [[{"role": "assistant", "content": "x" * 400}]] * 12  # 106 tokens each

    chosen = token_report(examples, epochs=2)
    default = token_report(examples)

    assert (chosen.epochs, chosen.billed_tokens) == (2, 2 * 12 * 106)
    assert (default.epochs, default.billed_tokens) == (8, 8 * 12 * 106)
    assert epochs_for(50) == 3
    assert epochs_for(20_000) == 1


def test_a_fine_tuning_file_is_checked_line_by_line_like_openai_does(tmp_path: Path) -> None:
    good = {
        "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hi!"}]
    }
    path = _write(
        tmp_path / "train.jsonl",
        good,
        "not json",
        {"messages": [{"role": "user", "content": "Hi"}]},
        {"messages": [{"role": "robot", "content": "Hi"}, {"role": "assistant"}]},
        {"messages": [{"content": "Hi"}, {"role": "assistant", "content": ""}]},
        {"prompt": "Hi", "completion": "Hi!"},
    )

    checked = check_file(path)

    assert len(checked.examples) == 1
    assert [str(p) for p in checked.problems] == [
        "train.jsonl:2: not valid JSON (Expecting value at column 1)",
        "train.jsonl:3: no assistant message: nothing to learn from",
        "train.jsonl:4 message 1: unknown role 'robot'",
        'train.jsonl:4 message 2: missing "content"',
        'train.jsonl:5 message 1: missing "role"',
        "train.jsonl:5 message 2: empty answer",
        'train.jsonl:6: no "messages" list',
    ]


def test_the_written_files_hold_one_messages_object_per_line(tmp_path: Path) -> None:
    dataset = build_dataset(SHIPPED)

    train, validation = write_dataset(dataset, tmp_path / "out")

    assert validation is not None
    lines = [json.loads(line) for line in train.read_text().splitlines()]
    assert len(lines) == 12
    assert all(list(line) == ["messages"] for line in lines)
    assert check_file(train).problems == ()
    assert "hr@halyard.example" not in train.read_text() + validation.read_text()
