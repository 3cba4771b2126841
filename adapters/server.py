"""`deskmate serve`: one aiohttp application for Slack, Teams, health and metrics."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from adapters.chat.services import Services
from adapters.runtime import Runtime, open_runtime
from adapters.settings import AppSettings

log = logging.getLogger(__name__)

SERVICES = web.AppKey("services", Services)
SHUTDOWN_GRACE_S = 20.0


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    checks = {
        "database": await services.runtime.store.ready(),
        "model": services.runtime.model_loaded,
        "accepting": services.accepting,
    }
    ok = all(checks.values())
    return web.json_response(
        {"status": "ready" if ok else "not ready", **checks}, status=200 if ok else 503
    )


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def build_app(runtime: Runtime) -> web.Application:
    """The application for an already opened runtime (tests build it this way)."""
    from adapters.console.app import mount_console
    from adapters.slack.mount import mount_slack
    from adapters.teams.mount import mount_teams

    app = web.Application()
    services = Services(runtime)
    app[SERVICES] = services
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    mount_slack(app, services)
    mount_teams(app, services)
    mount_console(app, services)

    async def drain(_: web.Application) -> None:
        await services.drain(SHUTDOWN_GRACE_S)

    app.on_shutdown.append(drain)
    return app


async def run_server(settings: AppSettings) -> None:
    """Serve until SIGTERM/SIGINT, then shut down gracefully: stop taking work, finish
    in-flight answers (bounded), stop the scheduler, close the pool."""
    from indexer.scheduler import add_digest, add_housekeeping, start_scheduler

    async with open_runtime(settings) as runtime:
        runtime.require_current_embeddings()
        await runtime.warm_up()
        if not runtime.contacts:
            log.warning(
                "unanswered questions will name no one to ask: give the sources a `contact:` "
                "in %s (DESKMATE_SOURCES)",
                settings.sources.sources_file,
            )
        app = build_app(runtime)
        services = app[SERVICES]
        scheduler = start_scheduler(
            settings.serve.reindex_cron,
            settings.serve.timezone,
            services.scheduled_reindex,
        )
        add_housekeeping(scheduler, runtime.housekeeping)
        add_digest(
            scheduler,
            settings.insights.digest_cron,
            settings.serve.timezone,
            services.weekly_digest,
        )
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host="0.0.0.0", port=settings.serve.port)  # noqa: S104
        await site.start()
        log.info("serving on port %d; next re-index %s", settings.serve.port, next_run(scheduler))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("shutting down")
        scheduler.shutdown(wait=False)
        await runner.cleanup()


def next_run(scheduler: object) -> str:
    jobs = scheduler.get_jobs()  # type: ignore[attr-defined]
    when = jobs[0].next_run_time if jobs else None
    return when.isoformat() if when else "not scheduled"
