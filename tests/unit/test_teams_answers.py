"""How an answer looks in Teams: a native AI message, its text with a `[n]` marker for every
source, the AI label and one citation per marker within Teams' limits, Teams' own feedback,
and a card only for the offer of a private answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adapters.chat.answer_service import Reply
from adapters.chat.views import view_of
from adapters.teams import answers
from bot import texts
from bot.models import Answer, Citation


def _citation(number: int, path: str = "benefits.docx", **fields: Any) -> Citation:
    values: dict[str, Any] = {
        "title": "Benefits Guide 2026",
        "url": f"https://hr.example/doc-{number}",
        "source": "hr",
        "snippet": "The ESPP lets you buy shares at a 15% discount.",
        "score": 0.9,
        "updated_at": datetime(2026, 1, 5),
    }
    values.update(fields)
    return Citation(number=number, path=path, **values)


def _answer(text: str = "The ESPP discount is 15% [1].", **fields: Any) -> Answer:
    values: dict[str, Any] = {
        "citations": (_citation(1), _citation(2, "pto.pdf", title="Paid Time Off", url=None)),
        "answered": True,
        "grounded": True,
        "answer_id": "a1b2c3d4e5f60718",
    }
    values.update(fields)
    return Answer(text=text, **values)


def _reply(answer: Answer) -> Reply:
    return Reply(answer, answer.text, "ref")


def test_a_source_the_text_does_not_cite_gets_a_marker_on_a_last_line() -> None:
    text = answers.message_text(view_of(_answer()))

    assert text == f"The ESPP discount is 15% [1].\n\n{texts.TEAMS_MORE_SOURCES} [2]"


def test_the_ai_label_carries_one_citation_per_marker_with_its_document_type() -> None:
    view = view_of(_answer())
    entity = answers.ai_entity(view, answers.message_text(view))

    assert entity["type"] == "https://schema.org/Message"
    assert entity["additionalType"] == ["AIGeneratedContent"]
    word, pdf = entity["citation"]
    assert (word["position"], word["appearance"]["image"]["name"]) == (1, "Microsoft Word")
    assert word["appearance"]["url"] == "https://hr.example/doc-1"
    assert word["appearance"]["abstract"] == "The ESPP lets you buy shares at a 15% discount."
    assert (pdf["position"], pdf["appearance"]["image"]["name"]) == (2, "PDF")
    assert "url" not in pdf["appearance"]  # a file without an address


def test_citations_keep_to_teams_limits() -> None:
    many = tuple(_citation(n, f"d{n}.md", title="T" * 300, snippet="S" * 900) for n in range(1, 30))
    view = view_of(_answer(" ".join(f"[{n}]" for n in range(1, 30)), citations=many))

    claims = answers.ai_entity(view, answers.message_text(view))["citation"]

    assert len(claims) == answers.MAX_CITATIONS
    assert all(len(c["appearance"]["name"]) <= 80 for c in claims)
    assert all(len(c["appearance"]["abstract"]) <= 160 for c in claims)
    assert {c["appearance"]["image"]["name"] for c in claims} == {"Text"}


def test_an_answer_activity_has_the_label_feedback_loop_and_no_card() -> None:
    activity = answers.answer_activity(_reply(_answer()), private=True)

    body = activity.serialize()
    assert body["entities"][0]["additionalType"] == ["AIGeneratedContent"]
    assert body["channelData"] == {"feedbackLoop": {"type": "default"}}
    assert body["textFormat"] == "markdown"
    assert not activity.attachments


def test_in_a_shared_conversation_a_better_private_answer_is_offered_by_a_card() -> None:
    answer = _answer(private_answer_available=True)

    shared = answers.answer_activity(_reply(answer), private=False)
    private = answers.answer_activity(_reply(answer), private=True)

    (card,) = shared.attachments
    assert card.content["body"][0]["text"] == texts.PRIVATE_AVAILABLE
    assert not private.attachments


def test_mass_mentions_in_an_answer_notify_nobody() -> None:
    activity = answers.answer_activity(_reply(_answer("Tell @everyone: 15% [1].")), private=True)

    assert "@everyone" not in activity.text


def test_an_error_reply_is_plain_text_with_its_reference() -> None:
    reply = Reply(None, texts.ERROR.format(ref="abc123"), "abc123")

    activity = answers.answer_activity(reply, private=True)

    assert activity.text == "Sorry, something went wrong while answering. (reference: abc123)"
    assert not activity.attachments
    assert not activity.entities
