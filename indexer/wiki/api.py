"""The Confluence REST calls a sync makes, for Cloud (v2, with v1 where v2 has no equivalent)
and Data Center (v1), turned into the few records the sync needs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from indexer.permissions import Readers
from indexer.records import Source
from indexer.wiki.client import WikiClient, WikiError

log = logging.getLogger(__name__)

PAGE_LIMIT = 100
CQL_DATE = "%Y/%m/%d %H:%M"
_RESTRICTIONS = "restrictions.user,restrictions.group"


@dataclass(frozen=True)
class PageRef:
    """A page as a listing shows it: enough to reconcile, build breadcrumbs and check access."""

    id: str
    title: str
    parent_id: str | None
    space: str  # the space key
    version: int = 0


@dataclass(frozen=True)
class RemotePage:
    ref: PageRef
    body: str  # storage format
    updated_at: datetime | None


@dataclass(frozen=True)
class RemoteAttachment:
    id: str
    name: str
    download: str  # a path or URL the client can GET


class WikiApi(Protocol):
    def pages(self, source: Source) -> AsyncIterator[PageRef]: ...
    async def changed_since(self, source: Source, since: datetime) -> set[str]: ...
    async def page(self, page_id: str) -> RemotePage: ...
    async def ancestors(self, page_id: str) -> list[PageRef]: ...
    async def restrictions(self, page_id: str) -> Readers: ...
    async def space_readers(self, space_key: str) -> Readers | None: ...
    async def attachments(self, page_id: str) -> list[RemoteAttachment]: ...
    async def download(self, attachment: RemoteAttachment) -> bytes: ...


def scope_cql(source: Source) -> str:
    """The CQL naming the pages a source syncs."""
    if source.cql:
        return f"({source.cql}) and type = page"
    keys = ", ".join(f'"{key}"' for key in source.spaces)
    return f"space in ({keys}) and type = page"


class _V1:
    """Calls both deployments share: CQL search, read restrictions, v1 content."""

    def __init__(self, client: WikiClient) -> None:
        self._client = client
        self._emails: dict[str, str | None] = {}

    async def changed_since(self, source: Source, since: datetime) -> set[str]:
        cql = f'{scope_cql(source)} and lastmodified >= "{since.strftime(CQL_DATE)}"'
        params: dict[str, str | int] = {"cql": cql, "limit": PAGE_LIMIT}
        return {str(item["id"]) async for item in self._client.offset_pages(_SEARCH, params)}

    async def pages(self, source: Source) -> AsyncIterator[PageRef]:
        """The current pages the source names: by its CQL, else space by space."""
        pages = self.cql_pages(source) if source.cql else self.space_pages(source)
        async for ref in pages:
            yield ref

    def space_pages(self, source: Source) -> AsyncIterator[PageRef]:
        """Every current page of the source's spaces (each deployment lists them its own way)."""
        raise NotImplementedError

    async def cql_pages(self, source: Source) -> AsyncIterator[PageRef]:
        params: dict[str, str | int] = {
            "cql": scope_cql(source),
            "limit": PAGE_LIMIT,
            "expand": "version,ancestors,space",
        }
        async for item in self._client.offset_pages(_SEARCH, params):
            yield v1_ref(item)

    async def restrictions(self, page_id: str) -> Readers:
        body, _ = await self._client.get(
            f"rest/api/content/{page_id}/restriction/byOperation/read", {"expand": _RESTRICTIONS}
        )
        found = body.get("restrictions") or {}
        groups = {
            str(g.get("name"))
            for g in (found.get("group") or {}).get("results", [])
            if g.get("name")
        }
        emails: set[str] = set()
        for user in (found.get("user") or {}).get("results", []):
            email = user.get("email") or await self.email_of(user)
            if email:
                emails.add(str(email))
            else:  # fail closed: a person we cannot name by e-mail is left out, not everyone
                log.warning("page %s: a permitted user has no visible e-mail; left out", page_id)
        return Readers(frozenset(groups), frozenset(emails))

    async def email_of(self, user: dict[str, Any]) -> str | None:
        account = user.get("accountId")
        if not account:
            return None
        if account not in self._emails:
            try:
                body, _ = await self._client.get("rest/api/user", {"accountId": str(account)})
                self._emails[account] = body.get("email") or None
            except WikiError:
                self._emails[account] = None
        return self._emails[account]

    async def v1_attachments(self, page_id: str) -> list[RemoteAttachment]:
        found = []
        async for item in self._client.offset_pages(
            f"rest/api/content/{page_id}/child/attachment", {"limit": PAGE_LIMIT}
        ):
            link = (item.get("_links") or {}).get("download", "")
            found.append(RemoteAttachment(str(item["id"]), str(item.get("title", "")), link))
        return found

    async def download(self, attachment: RemoteAttachment) -> bytes:
        return await self._client.download(attachment.download.lstrip("/"))


_SEARCH = "rest/api/content/search"


class CloudApi(_V1):
    """Confluence Cloud: REST v2 for spaces, pages and permissions; v1 for CQL and restrictions."""

    def __init__(self, client: WikiClient) -> None:
        super().__init__(client)
        self._space_ids: dict[str, str] = {}
        self._group_names: dict[str, str | None] = {}

    async def space_pages(self, source: Source) -> AsyncIterator[PageRef]:
        for key in source.spaces:
            space_id = await self._space_id(key)
            params: dict[str, str | int] = {"limit": PAGE_LIMIT, "status": "current"}
            async for item in self._client.cursor_pages(f"api/v2/spaces/{space_id}/pages", params):
                yield v2_ref(item, key)

    async def page(self, page_id: str) -> RemotePage:
        item, _ = await self._client.get(f"api/v2/pages/{page_id}", {"body-format": "storage"})
        key = await self._space_key(str(item.get("spaceId", "")))
        body = ((item.get("body") or {}).get("storage") or {}).get("value", "")
        created = (item.get("version") or {}).get("createdAt")
        return RemotePage(v2_ref(item, key), str(body), _iso(created))

    async def ancestors(self, page_id: str) -> list[PageRef]:
        """Top-down; v2 gives ids only, so each ancestor's title is looked up."""
        found = []
        async for item in self._client.cursor_pages(f"api/v2/pages/{page_id}/ancestors", {}):
            if item.get("type", "page") == "page":
                parent, _ = await self._client.get(f"api/v2/pages/{item['id']}", None)
                found.append(v2_ref(parent, ""))
        return found

    async def space_readers(self, space_key: str) -> Readers:
        space_id = await self._space_id(space_key)
        groups: set[str] = set()
        emails: set[str] = set()
        async for item in self._client.cursor_pages(f"api/v2/spaces/{space_id}/permissions", {}):
            operation = item.get("operation") or {}
            if operation.get("key") != "read" or operation.get("targetType") != "space":
                continue
            principal = item.get("principal") or {}
            if principal.get("type") == "group":
                name = await self._group_name(str(principal.get("id")))
                if name:
                    groups.add(name)
            elif principal.get("type") == "user":
                email = await self.email_of({"accountId": principal.get("id")})
                if email:
                    emails.add(email)
        return Readers(frozenset(groups), frozenset(emails))

    async def attachments(self, page_id: str) -> list[RemoteAttachment]:
        found = []
        async for item in self._client.cursor_pages(
            f"api/v2/pages/{page_id}/attachments", {"limit": PAGE_LIMIT}
        ):
            found.append(
                RemoteAttachment(
                    str(item["id"]), str(item.get("title", "")), str(item.get("downloadLink", ""))
                )
            )
        return found

    async def _space_id(self, key: str) -> str:
        if key not in self._space_ids:
            body, _ = await self._client.get("api/v2/spaces", {"keys": key})
            for item in body.get("results", []):
                self._space_ids[str(item["key"])] = str(item["id"])
            if key not in self._space_ids:
                raise WikiError(f"space {key} not found (or the token may not read it)", 404)
        return self._space_ids[key]

    async def _space_key(self, space_id: str) -> str:
        for key, known in self._space_ids.items():
            if known == space_id:
                return key
        body, _ = await self._client.get(f"api/v2/spaces/{space_id}", None)
        self._space_ids[str(body["key"])] = space_id
        return str(body["key"])

    async def _group_name(self, group_id: str) -> str | None:
        if group_id not in self._group_names:
            try:
                body, _ = await self._client.get("rest/api/group/by-id", {"id": group_id})
                self._group_names[group_id] = body.get("name") or None
            except WikiError:
                self._group_names[group_id] = None
        return self._group_names[group_id]


class DataCenterApi(_V1):
    """Confluence Data Center / Server: REST v1 throughout. Its REST API does not list space
    permissions, so a space's readers are the source's `audience` from sources.yaml."""

    async def space_pages(self, source: Source) -> AsyncIterator[PageRef]:
        for key in source.spaces:
            params: dict[str, str | int] = {
                "spaceKey": key,
                "type": "page",
                "status": "current",
                "expand": "version,ancestors,space",
                "limit": PAGE_LIMIT,
            }
            async for item in self._client.offset_pages("rest/api/content", params):
                yield v1_ref(item)

    async def page(self, page_id: str) -> RemotePage:
        item, _ = await self._client.get(
            f"rest/api/content/{page_id}", {"expand": "body.storage,version,ancestors,space"}
        )
        body = ((item.get("body") or {}).get("storage") or {}).get("value", "")
        return RemotePage(v1_ref(item), str(body), _iso((item.get("version") or {}).get("when")))

    async def ancestors(self, page_id: str) -> list[PageRef]:
        item, _ = await self._client.get(
            f"rest/api/content/{page_id}", {"expand": "ancestors,space"}
        )
        key = str((item.get("space") or {}).get("key", ""))
        chain = item.get("ancestors") or []
        return [
            PageRef(str(a["id"]), str(a.get("title", "")), str(p["id"]) if p else None, key)
            for a, p in zip(chain, [None, *chain[:-1]], strict=True)
        ]

    async def space_readers(self, space_key: str) -> Readers | None:
        return None

    async def attachments(self, page_id: str) -> list[RemoteAttachment]:
        return await self.v1_attachments(page_id)


def v2_ref(item: dict[str, Any], space_key: str) -> PageRef:
    parent = item.get("parentId")
    if item.get("parentType", "page") != "page":
        parent = None  # a folder or whiteboard above the page: not a page to inherit from
    return PageRef(
        id=str(item["id"]),
        title=str(item.get("title", "")),
        parent_id=str(parent) if parent else None,
        space=space_key,
        version=int((item.get("version") or {}).get("number", 0)),
    )


def v1_ref(item: dict[str, Any]) -> PageRef:
    ancestors = item.get("ancestors") or []
    return PageRef(
        id=str(item["id"]),
        title=str(item.get("title", "")),
        parent_id=str(ancestors[-1]["id"]) if ancestors else None,
        space=str((item.get("space") or {}).get("key", "")),
        version=int((item.get("version") or {}).get("number", 0)),
    )


def _iso(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
