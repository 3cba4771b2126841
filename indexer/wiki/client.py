"""HTTP to a Confluence site: authentication, paging, and patience with rate limits.

`429 Too Many Requests` and `503 Service Unavailable` are retried, waiting what `Retry-After`
asks (capped) or else a bounded exponential backoff with jitter. Credentials travel only in the
Authorization header; nothing here logs them or puts them in an error message.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urljoin

import aiohttp

from bot.errors import ConfigError, DeskmateError

log = logging.getLogger(__name__)

RETRIED_STATUSES = frozenset({429, 503})
MAX_ATTEMPTS = 5
MAX_WAIT_S = 60.0
BASE_WAIT_S = 0.5
TIMEOUT_S = 30.0


class WikiError(DeskmateError):
    """A Confluence request that failed for good; the message names the path, never secrets."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Credentials:
    """Cloud: e-mail + API token (HTTP Basic). Data Center: a personal access token (Bearer)."""

    email: str | None = None
    api_token: str | None = None
    token: str | None = None

    def __repr__(self) -> str:  # never print the secrets, even in a traceback's locals
        return "Credentials(***)"

    def auth_header(self, kind: str) -> str:
        if kind == "confluence-datacenter":
            if not self.token:
                raise ConfigError(
                    "CONFLUENCE_TOKEN is not set; create a personal access token in Confluence "
                    "(Profile > Personal Access Tokens) and set it in the environment"
                )
            return f"Bearer {self.token}"
        if not (self.email and self.api_token):
            raise ConfigError(
                "CONFLUENCE_EMAIL and CONFLUENCE_API_TOKEN must be set for a confluence-cloud "
                "source; create a token at https://id.atlassian.com/manage-profile/security"
            )
        return aiohttp.BasicAuth(self.email, self.api_token).encode()


class WikiClient:
    """GETs JSON from one site; use as `async with WikiClient(...) as client`."""

    def __init__(self, base_url: str, authorization: str) -> None:
        self._base = base_url.rstrip("/") + "/"
        self._headers = {"Authorization": authorization, "Accept": "application/json"}
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> WikiClient:
        self._session = aiohttp.ClientSession(
            headers=self._headers, timeout=aiohttp.ClientTimeout(total=TIMEOUT_S)
        )
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()

    def url(self, path: str) -> str:
        """`api/v2/pages` sits under the site's base URL; `/wiki/api/…` (a link the server
        gave) is taken from the host's root, as a browser would."""
        return urljoin(self._base, path)

    async def get(
        self, path: str, params: Mapping[str, str | int] | None = None
    ) -> tuple[Any, Mapping[str, str]]:
        """The JSON body and headers of a GET, after retries; raises `WikiError`."""
        body, headers = await self._request(path, params, binary=False)
        return body, headers

    async def download(self, path: str) -> bytes:
        body, _ = await self._request(path, None, binary=True)
        return bytes(body)

    async def _request(
        self, path: str, params: Mapping[str, str | int] | None, binary: bool
    ) -> tuple[Any, Mapping[str, str]]:
        if self._session is None:
            raise RuntimeError("use WikiClient as an async context manager")
        url = self.url(path)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                async with self._session.get(url, params=params) as response:
                    if response.status in RETRIED_STATUSES and attempt < MAX_ATTEMPTS:
                        wait = retry_wait(response.headers.get("Retry-After"), attempt)
                        log.info(
                            "confluence %s on %s; retrying in %.1fs",
                            response.status,
                            _path_only(url),
                            wait,
                        )
                        await asyncio.sleep(wait)
                        continue
                    if response.status >= 400:
                        raise WikiError(_refusal(response.status, url), response.status)
                    data = await (response.read() if binary else response.json(content_type=None))
                    return data, response.headers
            except (aiohttp.ClientError, TimeoutError) as exc:
                if attempt == MAX_ATTEMPTS:
                    raise WikiError(
                        f"could not reach Confluence for {_path_only(url)} ({type(exc).__name__})"
                    ) from exc
                await asyncio.sleep(retry_wait(None, attempt))
        raise WikiError(f"Confluence kept refusing {_path_only(url)} (rate limited)", 429)

    async def cursor_pages(
        self, path: str, params: Mapping[str, str | int]
    ) -> AsyncIterator[dict[str, Any]]:
        """Results of a v2 list, following the cursor in the `Link: <…>; rel="next"` header."""
        next_path: str | None = path
        query: Mapping[str, str | int] | None = params
        while next_path:
            body, headers = await self.get(next_path, query)
            for item in body.get("results", []):
                yield item
            next_path = _next_link(headers.get("Link", ""), body)
            query = None  # the next link carries the query, cursor included

    async def offset_pages(
        self, path: str, params: Mapping[str, str | int]
    ) -> AsyncIterator[dict[str, Any]]:
        """Results of a v1 list, following `_links.next` (start/limit paging)."""
        next_path: str | None = path
        query: Mapping[str, str | int] | None = params
        while next_path:
            body, _ = await self.get(next_path, query)
            for item in body.get("results", []):
                yield item
            links = body.get("_links") or {}
            following = links.get("next")
            # v1 links are relative to the site's context path (`_links.base`, `/wiki` on Cloud)
            base = str(links.get("base") or self._base).rstrip("/")
            next_path = base + str(following) if following else None
            query = None


def retry_wait(retry_after: str | None, attempt: int) -> float:
    """Seconds to wait before attempt `attempt + 1`: `Retry-After` when given, else backoff."""
    if retry_after:
        try:
            return min(max(float(retry_after), 0.0), MAX_WAIT_S)
        except ValueError:
            pass  # an HTTP date: fall back to backoff
    backoff = BASE_WAIT_S * float(2 ** (attempt - 1))
    jitter: float = random.uniform(0, backoff / 2)  # noqa: S311 - not for security
    return min(backoff + jitter, MAX_WAIT_S)


def _next_link(link_header: str, body: Mapping[str, Any]) -> str | None:
    for part in link_header.split(","):
        target, _, rel = part.partition(";")
        if 'rel="next"' in rel.replace(" ", ""):
            return target.strip().strip("<>")
    following = (body.get("_links") or {}).get("next")
    return str(following) if following else None


def _refusal(status: int, url: str) -> str:
    message = f"Confluence answered {status} for {_path_only(url)}"
    if status in (401, 403):
        message += (
            "; check CONFLUENCE_EMAIL + CONFLUENCE_API_TOKEN (Cloud) or CONFLUENCE_TOKEN "
            "(Data Center), and that the account may view the space"
        )
    return message


def _path_only(url: str) -> str:
    """A URL without its query, for messages (queries may hold CQL, never credentials)."""
    return url.split("?", 1)[0]
