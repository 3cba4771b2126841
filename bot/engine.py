"""The answer engine: one `answer(question)` for every adapter and the CLI.

retrieve (hybrid, access-controlled) -> decide (relevance floor) -> generate (grounded LLM, or
extractive without one) -> cite -> remember. It knows nothing about Slack or Teams.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace

from bot import texts
from bot.citations import apply_markers, citations_for, renumber
from bot.embeddings import Embedder
from bot.errors import StoreUnavailable
from bot.extractive import best_quotes
from bot.llm import MODEL_ERRORS, ChatModel, OnText
from bot.models import Answer, Chunk, Question, Timings
from bot.prompts import (
    ANSWER_SYSTEM,
    CONDENSE_SYSTEM,
    NO_ANSWER,
    answer_user_message,
    condense_user_message,
)
from bot.questions import checked
from bot.reply_checks import LeakWatch, problem_with
from bot.rerank import llm_rerank
from bot.retrieval import Retrieved, Retriever
from bot.settings import RetrievalSettings
from bot.store import Store, unavailable_as_error
from bot.store.feedback import StoredAnswer, source_record
from bot.tone.phraser import Phraser
from bot.tone.style import HouseStyle

log = logging.getLogger(__name__)

PRIVATE_MARGIN = 0.05


class Engine:
    def __init__(
        self,
        settings: RetrievalSettings,
        store: Store,
        embedder: Embedder,
        *,
        chat: ChatModel | None = None,
        contacts: Mapping[str, str] | None = None,
        phraser: Phraser | None = None,
        style: HouseStyle | None = None,
        store_askers: bool = True,
    ) -> None:
        self._settings = settings
        self._store_askers = store_askers  # False: answers are stored without who asked
        self._store = store
        self._embedder = embedder
        self._chat = chat
        self._contacts = dict(contacts or {})
        self._phraser = phraser
        self._style = style or HouseStyle()
        self.retriever = Retriever(
            store.search,
            embedder,
            limit=settings.top_k,
            per_document=settings.max_chunks_per_document,
            floor=settings.relevance_floor,
            mode=settings.retrieval_mode,
        )

    async def answer(self, question: Question, on_text: OnText | None = None) -> Answer:
        """Answer from documents the audience may see; raises `UnusableQuestion` when there is
        nothing to answer and `StoreUnavailable` when the knowledge base cannot be reached."""
        text = checked(question.text, self._settings.max_question_chars)
        question = replace(question, text=text)
        async with unavailable_as_error():
            return await self._answer(question, on_text)

    async def _answer(self, question: Question, on_text: OnText | None) -> Answer:
        started = time.perf_counter()
        history = await self._history(question)
        query = await self._standalone(question.text, history)
        retrieved = await self._retrieve(query, question.audience)
        retrieved_at = time.perf_counter()
        if retrieved.relevant:
            answer = await self._grounded(query, retrieved, on_text)
        else:
            answer = self._dont_know(retrieved.chunks)
        answer = await self._polish(question, answer, retrieved)
        generated_at = time.perf_counter()
        if not question.private and await self._better_in_private(question, query, retrieved):
            answer = replace(answer, private_answer_available=True)
        answer = replace(
            answer,
            answer_id=uuid.uuid4().hex[:16],
            timings=Timings(
                retrieve_ms=(retrieved_at - started) * 1000,
                generate_ms=(generated_at - retrieved_at) * 1000,
                total_ms=(time.perf_counter() - started) * 1000,
            ),
        )
        try:
            async with unavailable_as_error():
                await self._remember(question, answer)
        except StoreUnavailable:
            # The answer is written: the database went away while the model wrote it. It is
            # sent, only not remembered (no follow-up context; feedback keeps its own copy).
            log.warning(
                "the knowledge base went away; answer %s sent unremembered", answer.answer_id
            )
        return answer

    async def _retrieve(self, query: str, audience: frozenset[str]) -> Retrieved:
        """The passages; with the LLM relevance pass on, twice as many candidates are judged
        by the chat model and the `top_k` it finds most helpful are kept."""
        if self._chat is None or not self._settings.llm_rerank:
            return await self.retriever.retrieve(query, audience)
        top_k = self._settings.top_k
        candidates = await self.retriever.retrieve(query, audience, limit=2 * top_k)
        judged = await llm_rerank(self._chat, query, candidates.chunks)
        return replace(
            candidates,
            chunks=judged.chunks[:top_k],
            relevant=candidates.relevant and not judged.none_relevant,
        )

    async def _history(self, question: Question) -> list[tuple[str, str]]:
        """Earlier turns: people's messages in the thread (those not asked of Deskmate), then
        Deskmate's own questions and answers there."""
        stored: list[tuple[str, str]] = []
        if question.conversation_id and self._settings.memory_turns:
            stored = await self._store.conversations.recent(
                question.conversation_id, self._settings.memory_turns
            )
        asked = {q for q, _ in stored} | {question.text}
        return [*((m, "") for m in question.thread if m not in asked), *stored]

    async def _standalone(self, text: str, history: Sequence[tuple[str, str]]) -> str:
        """A follow-up condensed into a question that retrieval understands on its own."""
        if not history:
            return text
        if self._chat is not None:
            try:
                condensed = await self._chat.complete(
                    CONDENSE_SYSTEM, condense_user_message(history, text)
                )
                if condensed.strip():
                    return condensed.strip()
            except MODEL_ERRORS:
                log.warning("could not condense a follow-up; using the previous question too")
        return f"{history[-1][0]} {text}"

    async def _grounded(self, query: str, retrieved: Retrieved, on_text: OnText | None) -> Answer:
        if self._chat is None:
            return await self._extractive(query, retrieved)
        try:
            reply = await self._draft(self._chat, query, retrieved, on_text)
        except MODEL_ERRORS as exc:
            log.warning("chat model failed (%s); answering extractively", type(exc).__name__)
            answer = await self._extractive(query, retrieved)
            return replace(answer, note_kind="llm_fallback")
        if reply.strip() == NO_ANSWER or not reply.strip():
            return self._dont_know(retrieved.chunks)
        problem = problem_with(reply, answer_user_message(query, retrieved.chunks))
        if problem is not None:
            log.warning("the chat model's reply %s; answering extractively", problem)
            answer = await self._extractive(query, retrieved)
            return replace(answer, note_kind="reply_rejected")
        return self._cited(reply, retrieved.chunks)

    async def _draft(
        self, chat: ChatModel, query: str, retrieved: Retrieved, on_text: OnText | None
    ) -> str:
        """The grounded reply: the chat model's, or in direct mode the tone model's own.

        A draft the tone model rewrites next is not streamed: users see only the final words."""
        user = answer_user_message(query, retrieved.chunks)
        on_text = _unless_leaking(on_text) if on_text is not None else None
        if self._phraser is None:
            return await chat.complete(ANSWER_SYSTEM, user, on_text)
        if self._phraser.mode == "direct":
            reply = await self._phraser.answer(ANSWER_SYSTEM, user)
            if reply is not None:
                return reply
            return await chat.complete(ANSWER_SYSTEM, user, on_text)
        return await chat.complete(ANSWER_SYSTEM, user)

    def _cited(self, reply: str, chunks: Sequence[Chunk]) -> Answer:
        citations = citations_for(chunks)
        by_document = {(c.source, c.path): c.number for c in citations}
        passage_to_citation = {
            i: by_document[(chunk.source, chunk.path)] for i, chunk in enumerate(chunks, start=1)
        }
        text, used = apply_markers(reply, passage_to_citation)
        grounded = bool(used)
        shown = citations
        if grounded:
            text, shown = renumber(text, citations, used)
        return Answer(
            text=text,
            citations=shown,
            answered=True,
            grounded=grounded,
            note_kind=None if grounded else "not_grounded",
        )

    async def _extractive(self, query: str, retrieved: Retrieved) -> Answer:
        citations = citations_for(retrieved.chunks)
        number_of = {(c.source, c.path): c.number for c in citations}
        quotes = await best_quotes(query, retrieved.query_vector, retrieved.chunks, self._embedder)
        lines = [texts.EXTRACTIVE_INTRO]
        for quote in quotes:
            number = number_of[(quote.chunk.source, quote.chunk.path)]
            lines.append(f"- “{quote.text}” [{number}]")
        # Every passage's document stays listed, best first: the quotes come from the top
        # passages, the others are where to read on.
        return Answer(text="\n".join(lines), citations=citations, answered=True, grounded=True)

    def _dont_know(self, chunks: Sequence[Chunk]) -> Answer:
        closest = citations_for(chunks)[:3]
        lines = [texts.DONT_KNOW]
        if closest:
            lines.append(texts.DONT_KNOW_CLOSEST)
            lines.extend(f"• {c.title} [{c.number}]" for c in closest)
        contacts = tuple(
            dict.fromkeys(self._contacts[c.source] for c in closest if c.source in self._contacts)
        )
        if contacts:
            lines.append(texts.DONT_KNOW_ASK.format(contacts=" or ".join(contacts)))
        return Answer(
            text="\n".join(lines),
            citations=closest,
            answered=False,
            grounded=False,
            contacts=contacts,
        )

    async def _polish(self, question: Question, answer: Answer, retrieved: Retrieved) -> Answer:
        """The phrasing stage: the tone model rewrites a model-written draft in the company's
        voice (the fact guard keeps the draft if a fact would be lost), then the house style
        applies to every answer, extractive and "don't know" ones included."""
        if (
            self._phraser is not None
            and self._phraser.mode == "rewrite"
            and self._chat is not None
            and answer.answered
            and answer.note_kind not in ("llm_fallback", "reply_rejected")
        ):
            phrasing = await self._phraser.rewrite(question.text, answer.text)
            answer = replace(answer, text=phrasing.text)
        return replace(answer, text=self._style.apply(answer.text, question.asker.display_name))

    async def _better_in_private(self, question: Question, query: str, public: Retrieved) -> bool:
        """Would documents only the asker may see give a better answer than the shared ones?"""
        if not question.asker_groups - question.audience:
            return False
        private = await self.retriever.retrieve(
            query, question.asker_groups, vector=public.query_vector
        )
        if not private.relevant:
            return False
        public_ids = {c.chunk_id for c in public.chunks}
        extra = [c for c in private.chunks if c.chunk_id not in public_ids]
        best_extra = max((c.similarity for c in extra), default=0.0)
        return best_extra > public.best_similarity + PRIVATE_MARGIN or (
            not public.relevant and bool(extra)
        )

    async def _remember(self, question: Question, answer: Answer) -> None:
        answer_id = answer.answer_id or ""
        await self._store.feedback.save_answer(
            StoredAnswer(
                id=answer_id,
                asker=question.asker.user_id if self._store_askers else None,
                question=question.text,
                answer=answer.text,
                sources=[source_record(c) for c in answer.citations],
                answered=answer.answered,
                platform=question.platform,
                answer_ms=answer.timings.total_ms,
            )
        )
        if question.conversation_id and self._settings.memory_turns:
            await self._store.conversations.append(
                question.conversation_id, question.text, answer.text
            )


def _unless_leaking(on_text: OnText) -> OnText:
    """Partial text is shown only while it does not repeat our instructions."""
    watch = LeakWatch()

    async def forward(text: str) -> None:
        if not watch.seen(text):
            await on_text(text)

    return forward
