"""Slack adapter (not built yet)."""

from __future__ import annotations

from aiohttp import web

from adapters.services import Services


def mount_slack(app: web.Application, services: Services) -> None:
    """Register `POST /slack/events` when Slack is configured."""
