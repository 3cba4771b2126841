"""Teams adapter: Bot Framework activities at `POST /api/messages` on the shared aiohttp server.

The SDK does the protocol: `CloudAdapter` with `ConfigurationBotFrameworkAuthentication`
validates each request's Bot Framework token (when `MICROSOFT_APP_ID` is set) before any
handler runs, and sends replies to the activity's `serviceUrl`. Without an app id auth is off,
as for the Bot Framework Emulator in local development, and a warning says so at start.
"""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from aiohttp import web
from azure.core.exceptions import DeserializationError

from adapters.chat.admin_conversation import AdminConversation
from adapters.chat.references import new_reference
from adapters.chat.services import Services
from adapters.settings import AppSettings
from adapters.teams.bot import PLATFORM, DeskmateBot
from adapters.teams.proactive import Conversations
from adapters.teams.sdk import (
    Activity,
    ActivityTypes,
    AuthenticateRequestResult,
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
    TurnContext,
)
from bot import texts
from bot.errors import ConfigError

log = logging.getLogger(__name__)

ROUTE = "/api/messages"
APP_TYPES = {"multitenant", "singletenant", "userassignedmsi"}


class BotConfig:
    """The configuration object the SDK reads, by the SDK's attribute names."""

    def __init__(self, settings: AppSettings) -> None:
        password = settings.teams.app_password
        self.APP_ID = settings.teams.app_id.strip()
        self.APP_PASSWORD = password.get_secret_value() if password else ""
        self.APP_TYPE = settings.teams.app_type.strip() or "SingleTenant"
        self.APP_TENANTID = settings.teams.app_tenant_id.strip()
        self.check()
        if not self.APP_ID:  # auth off: the SDK only accepts "no app id" as multi-tenant
            self.APP_TYPE = "MultiTenant"

    def check(self) -> None:
        """Refuse settings the SDK would only fail on later, saying what to set."""
        kind = self.APP_TYPE.lower()
        if kind not in APP_TYPES:
            raise ConfigError(
                f"MICROSOFT_APP_TYPE={self.APP_TYPE!r} is not known; "
                "use MultiTenant, SingleTenant or UserAssignedMSI"
            )
        if not self.APP_ID:
            return
        if kind != "userassignedmsi" and not self.APP_PASSWORD:
            raise ConfigError(
                "MICROSOFT_APP_ID is set but MICROSOFT_APP_PASSWORD is not; set it to the bot's "
                "client secret (Azure Bot resource > Configuration > Manage Password)"
            )
        if kind != "multitenant" and not self.APP_TENANTID:
            raise ConfigError(
                f"MICROSOFT_APP_TYPE={self.APP_TYPE} needs MICROSOFT_APP_TENANT_ID; set it to "
                "your Microsoft Entra tenant id (Directory (tenant) ID)"
            )


class BotAuthentication(ConfigurationBotFrameworkAuthentication):  # type: ignore[misc]
    """The SDK's token validation, with every failure to validate a token answered 401.

    The SDK raises `PermissionError` (401) for a missing or rejected token, but other errors
    for tokens it cannot check (unknown signing key, key service unreachable): those would be
    500s, so they become `PermissionError` too. With auth off, only an Emulator on this machine
    may call: replies never go to a `serviceUrl` elsewhere.
    """

    def __init__(self, config: BotConfig) -> None:
        super().__init__(config, logger=log)
        self._auth_off = not config.APP_ID

    async def authenticate_request(
        self, activity: Activity, auth_header: str
    ) -> AuthenticateRequestResult:
        if self._auth_off and not _is_local(activity.service_url):
            raise PermissionError("without MICROSOFT_APP_ID only a local Emulator may call")
        try:
            return await super().authenticate_request(activity, auth_header)
        except PermissionError:
            raise
        except Exception as exc:
            log.warning("rejected a Teams request: its token could not be validated (%r)", exc)
            raise PermissionError("the token could not be validated") from exc


def _is_local(url: str | None) -> bool:
    host = urlsplit(url or "").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def mount_teams(app: web.Application, services: Services) -> None:
    """Register `POST /api/messages`, and tell the admin conversation (`digest here`) what
    the admins hear."""
    config = BotConfig(services.settings)
    if not config.APP_ID:
        log.warning(
            "MICROSOFT_APP_ID is not set: %s accepts requests without a Bot Framework token, "
            "from a Bot Framework Emulator on this machine only (local development). Set "
            "MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD to connect Teams.",
            ROUTE,
        )
    adapter = CloudAdapter(BotAuthentication(config))
    adapter.on_turn_error = _on_turn_error
    conversations = Conversations(adapter, config.APP_ID)
    admin_conversation = AdminConversation(
        services.runtime.store.admin, PLATFORM, conversations.post_stored
    )
    services.admin_notifiers.append(admin_conversation.notify)
    bot = DeskmateBot(services, conversations, admin_conversation)

    async def messages(request: web.Request) -> web.StreamResponse:
        if not services.accepting:
            raise web.HTTPServiceUnavailable(text="shutting down; retry")
        if request.content_type != "application/json":
            raise web.HTTPUnsupportedMediaType(text="expected an Activity as application/json")
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not _activity_shaped(body):
            raise web.HTTPBadRequest(text="expected an Activity as a JSON object")
        response: web.StreamResponse | None = await adapter.process(request, bot)
        if response is None:
            return web.Response(status=201)
        if isinstance(response, web.Response) and response.text == "null":
            return web.Response(status=response.status)  # an invoke answered without a body
        return response

    app.router.add_post(ROUTE, messages)


def _activity_shaped(body: object) -> bool:
    """A JSON object the SDK can read as an Activity: it fails with a server error on
    anything else (a list where an account belongs, say) before any handler could refuse it."""
    if not isinstance(body, dict):
        return False
    try:
        Activity().deserialize(body)
    except DeserializationError:
        return False
    return True


async def _on_turn_error(context: TurnContext, error: Exception) -> None:
    """Log with a reference id and tell the user, briefly; never show the exception."""
    reference = new_reference()
    log.error("a Teams turn failed (ref %s)", reference, exc_info=error)
    if context.activity.type in (ActivityTypes.message, ActivityTypes.event):
        try:
            await context.send_activity(texts.ERROR.format(ref=reference))
        except Exception as exc:
            log.warning("could not tell the user about ref %s (%s)", reference, exc)
