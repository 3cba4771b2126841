"""Who may use the console: admins signed in with a one-time link from chat, or scripts with
`DESKMATE_ADMIN_TOKEN` as a bearer token.

A sign-in link carries `nonce.signature` (HMAC-SHA256 with a key kept in the database, so every
replica checks it); it is stored hashed, expires in DESKMATE_ADMIN_LINK_MINUTES and is spent by
its first use. Opening it shows a button; only the POST that button sends spends the link, so
a link preview in chat cannot use it up. The session is a random cookie (HttpOnly,
SameSite=Strict, Secure behind HTTPS) stored hashed with its CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from adapters.console.settings import ConsoleSettings
from bot.store.admin import AdminStore

COOKIE = "deskmate_admin"
OPEN_PATHS = ("/admin/sign-in", "/admin/signed-out")


@dataclass(frozen=True)
class Principal:
    """Who a request to the console comes from; `csrf` is None for bearer-token scripts,
    which carry no ambient credentials to forge."""

    admin: str
    csrf: str | None


PRINCIPAL = web.RequestKey("admin_principal", Principal)


class SignIns:
    def __init__(self, store: AdminStore, settings: ConsoleSettings, port: int) -> None:
        self._store = store
        self._settings = settings
        self._port = port

    def base_url(self) -> str:
        return (self._settings.public_url or f"http://localhost:{self._port}").rstrip("/")

    async def link(self, admin: str) -> str:
        """A new one-time sign-in link for `admin` (an id from DESKMATE_ADMINS)."""
        nonce = secrets.token_urlsafe(24)
        token = f"{nonce}.{await self._signature(nonce)}"
        await self._store.add_sign_in(token, admin, self._settings.admin_link_minutes)
        return f"{self.base_url()}/admin/sign-in/{token}"

    async def spend(self, token: str) -> str | None:
        """The admin a link was made for, if it is genuine, unexpired and unused; spends it."""
        nonce, _, signature = token.partition(".")
        if not nonce or not hmac.compare_digest(signature, await self._signature(nonce)):
            return None
        return await self._store.use_sign_in(token)

    async def open_session(self, admin: str) -> tuple[str, str]:
        """A new session for `admin`: (cookie value, CSRF token)."""
        cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        await self._store.add_session(cookie, admin, csrf, self._settings.admin_session_hours)
        return cookie, csrf

    async def end_session(self, cookie: str) -> None:
        await self._store.end_session(cookie)

    async def principal(self, request: web.Request) -> Principal | None:
        bearer = request.headers.get("Authorization", "")
        expected = self._settings.admin_token
        if bearer.startswith("Bearer ") and expected and expected.get_secret_value():
            given = bearer.removeprefix("Bearer ").strip().encode()
            if hmac.compare_digest(given, expected.get_secret_value().encode()):
                return Principal("token", None)
            return None
        cookie = request.cookies.get(COOKIE)
        session = await self._store.session(cookie) if cookie else None
        return Principal(session.admin, session.csrf) if session else None

    async def _signature(self, nonce: str) -> str:
        key = await self._store.signing_key()
        return hmac.new(key, nonce.encode(), hashlib.sha256).hexdigest()[:32]

    def secure(self, request: web.Request) -> bool:
        """Whether the cookie must be Secure: served over HTTPS, directly or behind a proxy."""
        return (
            self._settings.public_url.startswith("https://")
            or request.secure
            or request.headers.get("X-Forwarded-Proto", "") == "https"
        )

    def set_cookie(self, request: web.Request, response: web.StreamResponse, value: str) -> None:
        response.set_cookie(
            COOKIE,
            value,
            max_age=self._settings.admin_session_hours * 3600,
            path="/admin",
            httponly=True,
            samesite="Strict",
            secure=self.secure(request),
        )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Refuse = Callable[[web.Request, int], Awaitable[web.StreamResponse]]


def guard(sign_ins: SignIns, refuse: Refuse) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Middleware: no principal, no page (401); no CSRF token on a change, no change (403)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(OPEN_PATHS):
            response = await handler(request)
        else:
            principal = await sign_ins.principal(request)
            if principal is None:
                response = await refuse(request, 401)
            elif request.method not in ("GET", "HEAD") and not await _csrf_ok(request, principal):
                response = await refuse(request, 403)
            else:
                request[PRINCIPAL] = principal
                response = await handler(request)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    return middleware


async def _csrf_ok(request: web.Request, principal: Principal) -> bool:
    if principal.csrf is None:  # a bearer token: nothing a browser sends on its own
        return True
    given = request.headers.get("X-CSRF-Token") or str((await request.post()).get("csrf", ""))
    return hmac.compare_digest(given.encode(), principal.csrf.encode())
