"""The console's pages: insights (gaps, feedback, documents), sources and runs with a re-index
button, and the question log. Each handler reads through the services and renders a template."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from adapters.chat.commands import COUNT_KEYS
from adapters.chat.services import Services
from adapters.console.auth import PRINCIPAL
from adapters.console.rendering import report_context
from bot import texts
from bot.insights import Period, Report, build_report
from bot.insights.export import report_data

PAGE_SIZE = 50
DAYS = (1, 7, 30, 90)


class Pages:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._runtime = services.runtime

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("", self.gaps),
            web.get("/", self.gaps),
            web.get("/feedback", self.feedback),
            web.get("/documents", self.documents),
            web.get("/sources", self.sources),
            web.post("/sources/{source}/reindex", self.reindex),
            web.get("/runs/{run_id:\\d+}", self.run),
            web.get("/log", self.log),
            web.get("/api/report", self.report_json),
        ]

    def _page(
        self, request: web.Request, template: str, title: str, here: str, **context: Any
    ) -> web.Response:
        status = context.pop("status", 200)
        principal = request[PRINCIPAL]
        values = {"title": title, "here": here, "csrf": principal.csrf or "", **context}
        return aiohttp_jinja2.render_template(template, request, values, status=status)

    async def _report(self, request: web.Request, with_gaps: bool = True) -> tuple[Report, int]:
        days = _int(request.query.get("days"), default=7, choices=DAYS)
        runtime = self._runtime
        report = await build_report(
            runtime.store,
            runtime.embedder,
            runtime.contacts,
            Period.last(days),
            with_gaps=with_gaps,
        )
        return report, days

    async def gaps(self, request: web.Request) -> web.Response:
        report, _ = await self._report(request)
        return self._page(
            request, "gaps.html", "Knowledge gaps", "/admin", **report_context(report)
        )

    async def feedback(self, request: web.Request) -> web.Response:
        report, _ = await self._report(request, with_gaps=False)
        context = report_context(report)
        return self._page(request, "feedback.html", "Feedback", "/admin/feedback", **context)

    async def documents(self, request: web.Request) -> web.Response:
        report, _ = await self._report(request, with_gaps=False)
        context = report_context(report)
        return self._page(request, "documents.html", "Documents", "/admin/documents", **context)

    async def report_json(self, request: web.Request) -> web.Response:
        report, _ = await self._report(request)
        return web.json_response(report_data(report))

    async def _sources_context(self) -> dict[str, Any]:
        stats = {s.source: s for s in await self._runtime.store.stats()}
        sources = [
            {
                "name": s.name,
                "documents": stats[s.name].documents if s.name in stats else 0,
                "chunks": stats[s.name].chunks if s.name in stats else 0,
                "last_indexed": stats[s.name].last_indexed if s.name in stats else None,
                "contact": s.contact,
            }
            for s in self._runtime.configured_sources()
        ]
        return {
            "sources": sources,
            "runs": await self._runtime.store.runs.recent(10),
            "running": await self._services.reindexer.running(),
            "count_keys": COUNT_KEYS,
            "notice": None,
        }

    async def sources(self, request: web.Request) -> web.Response:
        context = await self._sources_context()
        return self._page(request, "sources.html", "Sources and runs", "/admin/sources", **context)

    async def reindex(self, request: web.Request) -> web.Response:
        """Start a re-index of one source (refused while one runs, on any replica)."""
        source = request.match_info["source"]
        if self._runtime.unknown_sources([source]):
            raise web.HTTPNotFound(text="no such source")
        admin = request[PRINCIPAL].admin
        refused = await self._services.reindexer.running()
        if refused:
            notice = texts.REINDEX_RUNNING
        else:
            await self._services.reindexer.request(f"admin:{admin}", (source,), _told)
            notice = texts.CONSOLE_REINDEX_STARTED.format(source=source)
        context = await self._sources_context() | {"notice": notice}
        status = 409 if refused else 202
        return self._page(
            request, "sources.html", "Sources and runs", "/admin/sources", status=status, **context
        )

    async def run(self, request: web.Request) -> web.Response:
        run = await self._runtime.store.runs.get(int(request.match_info["run_id"]))
        if run is None:
            raise web.HTTPNotFound(text="no such run")
        return self._page(request, "run.html", f"Run #{run.id}", "/admin/sources", run=run)

    async def log(self, request: web.Request) -> web.Response:
        page = _int(request.query.get("page"), default=1)
        rows = await self._runtime.store.insights.question_log(
            PAGE_SIZE + 1, (page - 1) * PAGE_SIZE
        )
        settings = self._runtime.settings
        return self._page(
            request,
            "log.html",
            "Question log",
            "/admin/log",
            answers=rows[:PAGE_SIZE],
            more=len(rows) > PAGE_SIZE,
            page=page,
            retention=settings.insights.question_log_days,
            askers=settings.insights.store_askers,
        )


async def _told(text: str) -> None:
    """How a re-index started from the console ended: the page shows the runs, nothing else."""


def _int(value: str | None, default: int, choices: tuple[int, ...] = ()) -> int:
    """A page or period from the query string; anything unexpected is the default."""
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    if choices and number not in choices:
        return default
    return max(number, 1)
