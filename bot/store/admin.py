"""SQL for the admins: the console's one-time sign-in links and sessions, the cluster-wide
record of when a scheduled job last ran, and the conversation each platform's admin notices go
to. Tokens are stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

KEY_NAME = "admin_signing_key"


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class AdminSession:
    admin: str
    csrf: str
    expires_at: datetime


class AdminStore:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def signing_key(self) -> bytes:
        """The key sign-in links are signed with: made once, shared by every replica."""
        async with self._pool.connection() as conn:
            await conn.execute(
                "INSERT INTO deskmate_meta (key, value) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (KEY_NAME, secrets.token_hex(32)),
            )
            cur = await conn.execute("SELECT value FROM deskmate_meta WHERE key = %s", (KEY_NAME,))
            row = await cur.fetchone()
        return bytes.fromhex(row[0]) if row else b""

    async def add_sign_in(self, token: str, admin: str, minutes: int) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "INSERT INTO admin_sign_ins (token_hash, admin, expires_at) "
                "VALUES (%s, %s, now() + make_interval(mins => %s))",
                (token_hash(token), admin, minutes),
            )

    async def use_sign_in(self, token: str) -> str | None:
        """The admin a sign-in link was made for, marking it used; None when it is unknown,
        expired or used already (one statement: two replicas cannot both accept it)."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "UPDATE admin_sign_ins SET used_at = now() "
                "WHERE token_hash = %s AND used_at IS NULL AND expires_at > now() "
                "RETURNING admin",
                (token_hash(token),),
            )
            row = await cur.fetchone()
        return str(row[0]) if row else None

    async def add_session(self, token: str, admin: str, csrf: str, hours: int) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "INSERT INTO admin_sessions (token_hash, admin, csrf, expires_at) "
                "VALUES (%s, %s, %s, now() + make_interval(hours => %s))",
                (token_hash(token), admin, csrf, hours),
            )

    async def session(self, token: str) -> AdminSession | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT admin, csrf, expires_at FROM admin_sessions "
                "WHERE token_hash = %s AND expires_at > now()",
                (token_hash(token),),
            )
            row = await cur.fetchone()
        return AdminSession(*row) if row else None

    async def end_session(self, token: str) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "DELETE FROM admin_sessions WHERE token_hash = %s", (token_hash(token),)
            )

    async def expire(self) -> int:
        """Forget expired sessions and sign-in links older than a day."""
        async with self._pool.connection() as conn:
            cur = await conn.execute("DELETE FROM admin_sessions WHERE expires_at < now()")
            sessions = cur.rowcount
            cur = await conn.execute(
                "DELETE FROM admin_sign_ins WHERE expires_at < now() - interval '1 day'"
            )
            return sessions + cur.rowcount

    async def claim_job(self, job: str, min_interval_hours: float) -> bool:
        """True for exactly one replica per interval: the one that records this run of `job`."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "INSERT INTO job_runs (job, last_run_at) VALUES (%(job)s, now()) "
                "ON CONFLICT (job) DO UPDATE SET last_run_at = now() "
                "WHERE job_runs.last_run_at < now() - make_interval(secs => %(secs)s)",
                {"job": job, "secs": min_interval_hours * 3600},
            )
            return cur.rowcount == 1

    async def release_job(self, job: str) -> None:
        """Forget this interval's run of `job`, so the next claim succeeds (it did nothing)."""
        async with self._pool.connection() as conn:
            await conn.execute("DELETE FROM job_runs WHERE job = %(job)s", {"job": job})

    async def choose_conversation(
        self, platform: str, conversation: str, reference: dict[str, Any], admin: str
    ) -> str | None:
        """Send `platform`'s admin notices to `conversation` (`reference` is the platform's
        own serialised reference to it), in place of any chosen before; the conversation
        chosen before, if there was one."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "WITH before AS "
                "(SELECT conversation FROM admin_conversations WHERE platform = %(p)s) "
                "INSERT INTO admin_conversations (platform, conversation, reference, chosen_by) "
                "VALUES (%(p)s, %(conversation)s, %(reference)s, %(admin)s) "
                "ON CONFLICT (platform) DO UPDATE SET conversation = EXCLUDED.conversation, "
                "reference = EXCLUDED.reference, chosen_by = EXCLUDED.chosen_by, "
                "chosen_at = now() "
                "RETURNING (SELECT conversation FROM before)",
                {
                    "p": platform,
                    "conversation": conversation,
                    "reference": Jsonb(reference),
                    "admin": admin,
                },
            )
            row = await cur.fetchone()
        return str(row[0]) if row and row[0] is not None else None

    async def conversation(self, platform: str) -> dict[str, Any] | None:
        """The reference to the conversation `platform`'s admin notices go to, if one was
        chosen."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT reference FROM admin_conversations WHERE platform = %s", (platform,)
            )
            row = await cur.fetchone()
        return dict(row[0]) if row else None

    async def forget_conversation_in(self, platform: str, conversations: list[str]) -> bool:
        """Stop `platform`'s admin notices if they go to one of `conversations`."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "DELETE FROM admin_conversations "
                "WHERE platform = %(p)s AND conversation = ANY(%(conversations)s)",
                {"p": platform, "conversations": conversations},
            )
            return cur.rowcount == 1

    async def forget_conversation(
        self, platform: str, reference: dict[str, Any] | None = None
    ) -> bool:
        """Stop `platform`'s admin notices; with `reference`, only while that is still the
        chosen conversation (an admin may have chosen another meanwhile). True when one was
        forgotten."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "DELETE FROM admin_conversations WHERE platform = %(p)s "
                "AND (%(any)s OR reference = %(reference)s)",
                {
                    "p": platform,
                    "any": reference is None,
                    "reference": Jsonb(reference or {}),
                },
            )
            return cur.rowcount == 1
