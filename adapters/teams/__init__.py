"""Teams adapter (not built yet)."""

from __future__ import annotations

from aiohttp import web

from adapters.services import Services


def mount_teams(app: web.Application, services: Services) -> None:
    """Register `POST /api/messages`."""
