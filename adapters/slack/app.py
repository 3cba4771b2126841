"""The bolt `AsyncApp`: Web API client, built-in middleware, listeners.

Bolt's own middleware checks signatures (401 for a bad or stale one, before any listener),
answers Slack's URL verification and ignores the bot's own events. Every listener acks at
once; its lazy part runs as a `Services` background task, so a graceful shutdown waits for it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.lazy_listener.async_internals import to_runnable_function
from slack_bolt.lazy_listener.async_runner import AsyncLazyListenerRunner
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    async_default_handlers,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.chat.services import Services
from adapters.settings import AppSettings
from adapters.slack import assistant, commands, events, feedback, handoff, sharing
from adapters.slack.members import Membership
from adapters.slack.replies import Replies

log = logging.getLogger("adapters.slack")

RATE_LIMIT_RETRIES = 3


class BackgroundLazyRunner(AsyncLazyListenerRunner):
    """Bolt's lazy listeners, started as tracked `Services` background tasks."""

    def __init__(self, services: Services, logger: logging.Logger) -> None:
        self.logger = logger
        self._services = services

    def start(self, function: Callable[..., Awaitable[None]], request: AsyncBoltRequest) -> None:
        self._services.background(
            to_runnable_function(internal_func=function, logger=self.logger, request=request)
        )


def web_client(settings: AppSettings) -> AsyncWebClient:
    """The Web API client: `SLACK_API_URL` as base, 429s retried after `Retry-After`."""
    token = settings.slack.bot_token.get_secret_value() if settings.slack.bot_token else None
    retry = [
        *async_default_handlers(),
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ]
    return AsyncWebClient(
        token=token, base_url=_with_slash(settings.slack.api_url), retry_handlers=retry
    )


def build_bolt_app(services: Services, client: AsyncWebClient | None = None) -> AsyncApp:
    settings = services.settings
    client = client or web_client(settings)
    secret = settings.slack.signing_secret
    app = AsyncApp(
        client=client,
        signing_secret=secret.get_secret_value() if secret else "",
        process_before_response=False,
        logger=log,
        name="deskmate",
        # The assistant-thread kwargs (say_stream, set_status…) are unused here, and in DM
        # threads they cannot be copied into a lazy listener's request.
        attaching_conversation_kwargs_enabled=False,
    )
    app.listener_runner.lazy_listener_runner = BackgroundLazyRunner(services, log)
    replies = Replies(
        services, client, Membership(client, services.runtime.audience), services.runtime.contacts
    )
    for module in (events, commands, feedback, handoff, sharing, assistant):
        module.register(app, replies)
    return app


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"
