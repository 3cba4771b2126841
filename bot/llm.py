"""The chat model: LangChain `ChatOpenAI` against OpenAI or any OpenAI-compatible endpoint.

LangChain and the `openai` client cost about two seconds of imports, so they are imported when
a chat model is made, not with this module: a CLI call with no model configured never pays.
Their errors are turned into `ModelError` here, so callers catch `MODEL_ERRORS` without
importing them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from bot.settings import ModelSettings

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

OnText = Callable[[str], Awaitable[None]]


class ModelError(Exception):
    """The model endpoint failed: an API error or a transport error, as the model's fault."""


class BadModelResponse(ModelError):
    """The endpoint answered with something that is not a chat completion (an HTML error page,
    a broken body): the client library's own parsing error, raised as the model's fault."""


# What a model call may fail with that is the model's or the network's fault, not a bug: the
# endpoint's errors (as ModelError), our time budget, a connection refused.
MODEL_ERRORS: tuple[type[Exception], ...] = (ModelError, TimeoutError, ConnectionError)


class ChatModel:
    """Bounded calls: a timeout per attempt, a few retries, then the caller's fallback."""

    def __init__(self, settings: ModelSettings, model: str | None = None) -> None:
        import httpx
        from langchain_openai import ChatOpenAI

        self.model = model or settings.chat_model
        self._timeout = settings.llm_timeout
        self._retries = settings.llm_retries
        self._client = ChatOpenAI(
            model=self.model,
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_retries,
            temperature=0,
            # A client of this model's own: the library's shared default client keeps
            # connections across event loops, and a reused one fails with "Event loop is closed".
            http_async_client=httpx.AsyncClient(timeout=settings.llm_timeout),
        )

    async def complete(self, system: str, user: str, on_text: OnText | None = None) -> str:
        from langchain_core.messages import HumanMessage, SystemMessage

        messages: list[BaseMessage] = [SystemMessage(system), HumanMessage(user)]
        budget = self._timeout * (self._retries + 1)
        if on_text is None:
            return await within(budget, self._invoke(messages))
        return await within(budget, self._stream(messages, on_text))

    async def _invoke(self, messages: list[BaseMessage]) -> str:
        with _as_model_errors():
            reply = await self._client.ainvoke(messages)
        return str(reply.content)

    async def _stream(self, messages: list[BaseMessage], on_text: OnText) -> str:
        text = ""
        pieces: AsyncIterator[Any] = aiter(self._client.astream(messages))
        while True:
            try:
                with _as_model_errors():
                    piece = await anext(pieces)
            except StopAsyncIteration:
                break
            if isinstance(piece.content, str) and piece.content:
                text += piece.content
                await on_text(text)  # outside: a bug in the callback is not the model's fault
        return text


@contextmanager
def _as_model_errors() -> Iterator[None]:
    """The client library's errors as `ModelError`; anything else passes unchanged."""
    try:
        yield
    except ValueError as exc:  # the client could not parse the endpoint's reply
        raise BadModelResponse(str(exc)[:200]) from exc
    except Exception as exc:
        import httpx
        import openai

        if isinstance(exc, openai.APIError | httpx.HTTPError):
            raise ModelError(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
        raise


CANCEL_AGAIN_S = 0.5
T = TypeVar("T")


async def within(budget: float, work: Coroutine[Any, Any, T]) -> T:
    """`work`'s result, or `TimeoutError` once `budget` seconds have passed.

    A single cancellation is not enough: the HTTP stack's own timeout scopes can take a
    cancellation for their own read timeout, and the client's retry then reads an endless
    stream for ever. So the call runs as a task that is cancelled again until it stops."""
    task = asyncio.ensure_future(work)
    try:
        await asyncio.wait({task}, timeout=budget)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if task.done():
        return task.result()
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=CANCEL_AGAIN_S)
    late = TimeoutError(f"no complete reply within {budget:g} s")
    if task.cancelled():
        raise late
    error = task.exception()
    if error is None:
        return task.result()  # it finished as it was being stopped
    if isinstance(error, MODEL_ERRORS):
        raise late from error
    raise error  # a bug, not a slow model
