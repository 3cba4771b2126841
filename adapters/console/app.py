"""`/admin` on `deskmate serve`: a sub-application with its own templates and the guard that
lets only signed-in admins (or a bearer token) through."""

from __future__ import annotations

import aiohttp_jinja2
import jinja2
from aiohttp import web

from adapters.chat.services import Services
from adapters.console.auth import COOKIE, SignIns, guard
from adapters.console.pages import Pages
from adapters.console.rendering import HELPERS
from adapters.logs import hide_sign_in_tokens
from bot import texts

REFUSALS = {401: texts.CONSOLE_SIGN_IN_NEEDED, 403: texts.CONSOLE_FORBIDDEN}


def mount_console(app: web.Application, services: Services) -> None:
    sign_ins = services.sign_ins
    hide_sign_in_tokens()
    console = web.Application(middlewares=[guard(sign_ins, _refuse)])
    env = aiohttp_jinja2.setup(
        console,
        loader=jinja2.PackageLoader("adapters.console", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(HELPERS)
    sessions = SessionPages(sign_ins)
    console.add_routes(
        [
            web.get("/sign-in/{token}", sessions.confirm),
            web.post("/sign-in", sessions.sign_in),
            web.post("/sign-out", sessions.sign_out),
            web.get("/signed-out", sessions.signed_out),
            *Pages(services).routes(),
        ]
    )
    app.add_subapp("/admin", console)


async def _refuse(request: web.Request, status: int) -> web.StreamResponse:
    return _message(request, REFUSALS[status], status)


def _message(request: web.Request, message: str, status: int) -> web.Response:
    context = {"token": None, "message": message}
    return aiohttp_jinja2.render_template("sign_in.html", request, context, status=status)


class SessionPages:
    def __init__(self, sign_ins: SignIns) -> None:
        self._sign_ins = sign_ins

    async def confirm(self, request: web.Request) -> web.Response:
        """The link from chat: a button that signs in (a link preview spends nothing)."""
        context = {"token": request.match_info["token"], "message": ""}
        return aiohttp_jinja2.render_template("sign_in.html", request, context)

    async def sign_in(self, request: web.Request) -> web.StreamResponse:
        token = str((await request.post()).get("token", ""))
        admin = await self._sign_ins.spend(token)
        if admin is None:
            return _message(request, texts.CONSOLE_LINK_REFUSED, 403)
        cookie, _ = await self._sign_ins.open_session(admin)
        response = web.HTTPSeeOther("/admin")
        self._sign_ins.set_cookie(request, response, cookie)
        return response

    async def sign_out(self, request: web.Request) -> web.StreamResponse:
        cookie = request.cookies.get(COOKIE)
        if cookie:
            await self._sign_ins.end_session(cookie)
        response = web.HTTPSeeOther("/admin/signed-out")
        response.del_cookie(COOKIE, path="/admin")
        return response

    async def signed_out(self, request: web.Request) -> web.Response:
        return _message(request, texts.CONSOLE_SIGNED_OUT, 200)
