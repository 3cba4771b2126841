"""Slack adapter: events, the slash command and interactivity at `POST /slack/events`, and
Socket Mode when `SLACK_APP_TOKEN` is set (for companies without public ingress)."""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp

from adapters.chat.services import Services
from adapters.settings import AppSettings
from adapters.slack.app import build_bolt_app
from bot.errors import ConfigError

log = logging.getLogger(__name__)

PATH = "/slack/events"
BOLT = web.AppKey("slack_bolt", AsyncApp)


def mount_slack(app: web.Application, services: Services) -> None:
    """Register `POST /slack/events` (and Socket Mode) when Slack is configured."""
    settings = services.settings
    if not _configured(settings):
        return
    bolt = build_bolt_app(services)
    app[BOLT] = bolt
    if settings.serve.admin_channel:

        async def tell_admins(message: str) -> bool:
            await bolt.client.chat_postMessage(channel=settings.serve.admin_channel, text=message)
            return True

        services.admin_notifiers.append(tell_admins)
    if settings.slack.signing_secret:

        async def slack_events(request: web.Request) -> web.Response:
            if not services.accepting:  # shutting down: Slack retries, another replica answers
                return web.Response(status=503)
            if not await _parsable(request):
                return web.Response(status=400, text="malformed request body")
            response = await bolt.async_dispatch(await to_bolt_request(request))
            return await to_aiohttp_response(response)

        app.router.add_post(PATH, slack_events)
    if settings.slack.app_token:
        _socket_mode(app, bolt, settings.slack.app_token.get_secret_value())
    log.info(
        "Slack: %s%s",
        f"events at {PATH}" if settings.slack.signing_secret else "no HTTP endpoint",
        ", Socket Mode" if settings.slack.app_token else "",
    )


async def _parsable(request: web.Request) -> bool:
    """Whether bolt can read the body as Slack sends it: UTF-8; JSON (as bolt reads a JSON
    content type or a body starting with "{") an object; a form's `payload` a JSON object.
    Bolt fails on anything else with a server error before it checks the signature."""
    try:
        body = (await request.read()).decode("utf-8")
        if request.content_type == "application/json" or body.startswith("{"):
            return isinstance(json.loads(body), dict)
        payload = parse_qs(body).get("payload")
        return payload is None or isinstance(json.loads(payload[0]), dict)
    except ValueError:
        return False


def _configured(settings: AppSettings) -> bool:
    if not settings.slack.bot_token:
        if settings.slack.signing_secret or settings.slack.app_token:
            raise ConfigError(
                "SLACK_BOT_TOKEN is not set; set it (xoxb-…) or unset the Slack settings"
            )
        return False
    if not settings.slack.signing_secret and not settings.slack.app_token:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is not set; set it (Basic Information > App Credentials) "
            "or set SLACK_APP_TOKEN to use Socket Mode"
        )
    return True


def _socket_mode(app: web.Application, bolt: AsyncApp, app_token: str) -> None:
    handler: AsyncSocketModeHandler | None = None

    async def connect(_: web.Application) -> None:
        nonlocal handler
        handler = AsyncSocketModeHandler(bolt, app_token, web_client=bolt.client)
        await handler.connect_async()  # type: ignore[no-untyped-call]

    async def close(_: web.Application) -> None:
        if handler is not None:
            await handler.close_async()  # type: ignore[no-untyped-call]

    app.on_startup.append(connect)
    app.on_shutdown.append(close)
