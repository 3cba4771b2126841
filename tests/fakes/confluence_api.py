"""A fake Confluence Cloud REST API on loopback: v2 spaces, cursor-paged pages with storage
bodies, ancestors, attachments and space permissions; v1 read restrictions, CQL search,
groups and users. It records every request and can answer 429, fail, or hold a request."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus, urlencode

from aiohttp import web

from tests.fakes.http_server import ThreadedServer

EMAIL = "sync-bot@acme.example"
API_TOKEN = "atl-token-do-not-log"
PERSONAL_TOKEN = "dc-pat-do-not-log"
_LIMIT = 2  # small pages of results, so every listing is really paged


@dataclass
class FakePage:
    id: str
    title: str
    space: str  # key
    body: str
    parent: str | None = None
    version: int = 1
    modified: datetime = field(default_factory=lambda: datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    read_groups: list[str] = field(default_factory=list)
    read_users: list[str] = field(default_factory=list)  # account ids
    attachments: dict[str, bytes] = field(default_factory=dict)  # name -> data
    labels: list[str] = field(default_factory=list)


@dataclass
class FakeConfluence:
    spaces: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (id, name)
    pages: dict[str, FakePage] = field(default_factory=dict)
    space_readers: dict[str, list[tuple[str, str]]] = field(
        default_factory=dict
    )  # key -> principals
    groups: dict[str, str] = field(default_factory=dict)  # group id -> name
    emails: dict[str, str] = field(default_factory=dict)  # account id -> e-mail
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, decoded query)
    authorizations: set[str] = field(default_factory=set)
    rate_limited: set[str] = field(default_factory=set)  # paths answered 429 once
    failing: set[str] = field(default_factory=set)  # page ids whose body answers 500
    hold: str | None = None  # a page id whose body request waits for `release`
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def space(self, key: str, space_id: str, name: str, readers: list[tuple[str, str]]) -> None:
        self.spaces[key] = (space_id, name)
        self.space_readers[key] = readers

    def add(self, page: FakePage) -> FakePage:
        self.pages[page.id] = page
        return page

    def edit(self, page_id: str, body: str) -> None:
        page = self.pages[page_id]
        page.body, page.version, page.modified = body, page.version + 1, datetime.now(UTC)

    def body_requests(self) -> list[str]:
        """Ids of the pages whose body was fetched (v2 or v1), in order."""
        return [
            path.rsplit("/", 1)[1]
            for path, query in self.requests
            if (re.fullmatch(r"/wiki/api/v2/pages/\d+", path) and "body-format" in query)
            or (re.fullmatch(r"/wiki/rest/api/content/\d+", path) and "body.storage" in query)
        ]


def _app(fake: FakeConfluence) -> web.Application:
    routes = web.RouteTableDef()

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        fake.requests.append((request.path, unquote_plus(request.query_string)))
        fake.authorizations.add(request.headers.get("Authorization", ""))
        if request.headers.get("Authorization") not in (_basic(), f"Bearer {PERSONAL_TOKEN}"):
            return web.json_response({"message": "Unauthorized"}, status=401)
        if request.path in fake.rate_limited:
            fake.rate_limited.discard(request.path)
            return web.json_response(
                {"message": "Rate limited"}, status=429, headers={"Retry-After": "1"}
            )
        response: web.StreamResponse = await handler(request)
        return response

    @routes.get("/wiki/api/v2/spaces")
    async def spaces(request: web.Request) -> web.Response:
        keys = request.query.get("keys", "").split(",")
        found = [_space_json(fake, k) for k in keys if k in fake.spaces]
        return web.json_response({"results": found})

    @routes.get("/wiki/api/v2/spaces/{id}")
    async def one_space(request: web.Request) -> web.Response:
        key = _key_of(fake, request.match_info["id"])
        return web.json_response(_space_json(fake, key)) if key else _missing()

    @routes.get("/wiki/api/v2/spaces/{id}/pages")
    async def space_pages(request: web.Request) -> web.Response:
        key = _key_of(fake, request.match_info["id"])
        pages = sorted((p for p in fake.pages.values() if p.space == key), key=lambda p: int(p.id))
        return _cursor_page(request, [_page_json(fake, p, body=False) for p in pages])

    @routes.get("/wiki/api/v2/spaces/{id}/permissions")
    async def permissions(request: web.Request) -> web.Response:
        key = _key_of(fake, request.match_info["id"]) or ""
        items = [
            {
                "id": str(n),
                "principal": {"type": kind, "id": principal},
                "operation": {"key": operation, "targetType": "space"},
            }
            for n, (kind, principal) in enumerate(fake.space_readers.get(key, []))
            for operation in ("read", "create")
        ]
        return _cursor_page(request, items)

    @routes.get("/wiki/api/v2/pages/{id}")
    async def page(request: web.Request) -> web.Response:
        page_id = request.match_info["id"]
        if page_id not in fake.pages:
            return _missing()
        if page_id == fake.hold:
            fake.held.set()
            await asyncio.get_running_loop().run_in_executor(None, fake.release.wait, 10)
        if page_id in fake.failing:
            return web.json_response({"message": "boom"}, status=500)
        body = request.query.get("body-format") == "storage"
        return web.json_response(_page_json(fake, fake.pages[page_id], body=body))

    @routes.get("/wiki/api/v2/pages/{id}/ancestors")
    async def ancestors(request: web.Request) -> web.Response:
        chain: list[dict[str, str]] = []
        current = fake.pages.get(request.match_info["id"])
        while current is not None and current.parent:
            chain.insert(0, {"id": current.parent, "type": "page"})
            current = fake.pages.get(current.parent)
        return web.json_response({"results": chain})

    @routes.get("/wiki/api/v2/pages/{id}/attachments")
    async def attachments(request: web.Request) -> web.Response:
        page = fake.pages.get(request.match_info["id"])
        if page is None:
            return _missing()
        items = [
            {
                "id": f"att{page.id}{n}",
                "title": name,
                "downloadLink": f"/download/attachments/{page.id}/{name}?version=1&api=v2",
            }
            for n, name in enumerate(sorted(page.attachments))
        ]
        return _cursor_page(request, items)

    @routes.get("/wiki/download/attachments/{page}/{name}")
    async def download(request: web.Request) -> web.Response:
        page = fake.pages.get(request.match_info["page"])
        data = page.attachments.get(request.match_info["name"]) if page else None
        return web.Response(body=data) if data is not None else _missing()

    @routes.get("/wiki/rest/api/content/{id}/restriction/byOperation/read")
    async def restrictions(request: web.Request) -> web.Response:
        page = fake.pages.get(request.match_info["id"])
        if page is None:
            return _missing()
        users = [{"type": "known", "accountId": a, "email": ""} for a in page.read_users]
        groups = [{"type": "group", "name": g, "id": f"id-{g}"} for g in page.read_groups]
        return web.json_response(
            {
                "operation": "read",
                "restrictions": {
                    "user": {"results": users, "size": len(users)},
                    "group": {"results": groups, "size": len(groups)},
                },
            }
        )

    @routes.get("/wiki/rest/api/content/search")
    async def search(request: web.Request) -> web.Response:
        return _search(fake, request)

    @routes.get("/wiki/rest/api/content")
    async def v1_list(request: web.Request) -> web.Response:
        key = request.query.get("spaceKey", "")
        pages = sorted((p for p in fake.pages.values() if p.space == key), key=lambda p: int(p.id))
        return _offset_page(request, [_v1_json(fake, p, body=False) for p in pages])

    @routes.get(r"/wiki/rest/api/content/{id:\d+}")
    async def v1_page(request: web.Request) -> web.Response:
        page = fake.pages.get(request.match_info["id"])
        if page is None:
            return _missing()
        body = "body.storage" in request.query.get("expand", "")
        return web.json_response(_v1_json(fake, page, body=body))

    @routes.get(r"/wiki/rest/api/content/{id:\d+}/child/attachment")
    async def v1_attachments(request: web.Request) -> web.Response:
        page = fake.pages.get(request.match_info["id"])
        if page is None:
            return _missing()
        items = [
            {
                "id": f"att{page.id}{n}",
                "title": name,
                "_links": {"download": f"/download/attachments/{page.id}/{name}?version=1"},
            }
            for n, name in enumerate(sorted(page.attachments))
        ]
        return _offset_page(request, items)

    @routes.get("/wiki/rest/api/group/by-id")
    async def group(request: web.Request) -> web.Response:
        name = fake.groups.get(request.query.get("id", ""))
        return web.json_response({"type": "group", "name": name}) if name else _missing()

    @routes.get("/wiki/rest/api/user")
    async def user(request: web.Request) -> web.Response:
        account = request.query.get("accountId", "")
        return web.json_response({"accountId": account, "email": fake.emails.get(account, "")})

    app = web.Application(middlewares=[record])
    app.add_routes(routes)
    return app


def _basic() -> str:
    import base64

    return "Basic " + base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode()


def _missing() -> web.Response:
    return web.json_response({"message": "Not found"}, status=404)


def _key_of(fake: FakeConfluence, space_id: str) -> str | None:
    return next((k for k, (i, _) in fake.spaces.items() if i == space_id), None)


def _space_json(fake: FakeConfluence, key: str) -> dict[str, str]:
    space_id, name = fake.spaces[key]
    return {"id": space_id, "key": key, "name": name}


def _page_json(fake: FakeConfluence, page: FakePage, body: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": page.id,
        "status": "current",
        "title": page.title,
        "spaceId": fake.spaces[page.space][0],
        "parentId": page.parent,
        "parentType": "page" if page.parent else None,
        "version": {"number": page.version, "createdAt": page.modified.isoformat()},
    }
    if body:
        data["body"] = {"storage": {"value": page.body, "representation": "storage"}}
    return data


def _v1_json(fake: FakeConfluence, page: FakePage, body: bool) -> dict[str, Any]:
    chain: list[dict[str, str]] = []
    current = page
    while current.parent and current.parent in fake.pages:
        current = fake.pages[current.parent]
        chain.insert(0, {"id": current.id, "title": current.title, "type": "page"})
    data: dict[str, Any] = {
        "id": page.id,
        "type": "page",
        "status": "current",
        "title": page.title,
        "space": {"key": page.space},
        "version": {"number": page.version, "when": page.modified.isoformat()},
        "ancestors": chain,
    }
    if body:
        data["body"] = {"storage": {"value": page.body, "representation": "storage"}}
    return data


def _offset_page(request: web.Request, items: list[Any]) -> web.Response:
    """v1 paging: `start`/`limit`, with `_links.next` relative to the context path."""
    start = int(request.query.get("start", "0"))
    links = {"base": f"{request.scheme}://{request.host}/wiki"}
    if start + _LIMIT < len(items):
        query = dict(request.query) | {"start": str(start + _LIMIT)}
        links["next"] = f"{request.path.removeprefix('/wiki')}?{urlencode(query)}"
    return web.json_response({"results": items[start : start + _LIMIT], "_links": links})


def _cursor_page(request: web.Request, items: list[Any]) -> web.Response:
    """`_LIMIT` items from the cursor on, with a `Link` header to the rest."""
    start = int(request.query.get("cursor", "0"))
    headers = {}
    if start + _LIMIT < len(items):
        query = dict(request.query) | {"cursor": str(start + _LIMIT)}
        headers["Link"] = f'<{request.path}?{urlencode(query)}>; rel="next"'
    return web.json_response({"results": items[start : start + _LIMIT]}, headers=headers)


def _search(fake: FakeConfluence, request: web.Request) -> web.Response:
    cql = request.query.get("cql", "")
    spaces = re.search(r"space in \(([^)]*)\)", cql)
    keys = re.findall(r'"([^"]+)"', spaces.group(1)) if spaces else None
    label = re.search(r'label = "([^"]+)"', cql)  # the one CQL clause of a `cql:` scope we serve
    since_match = re.search(r'lastmodified >= "([^"]+)"', cql)
    since = (
        datetime.strptime(since_match.group(1), "%Y/%m/%d %H:%M").replace(tzinfo=UTC)
        if since_match
        else None
    )
    found = [
        p
        for p in sorted(fake.pages.values(), key=lambda p: int(p.id))
        if (keys is None or p.space in keys)
        and (label is None or label.group(1) in p.labels)
        and (since is None or p.modified >= since)
    ]
    start = int(request.query.get("start", "0"))
    window = found[start : start + _LIMIT]
    links: dict[str, str] = {"base": f"{request.scheme}://{request.host}/wiki"}
    if start + _LIMIT < len(found):
        query = dict(request.query) | {"start": str(start + _LIMIT)}
        links["next"] = f"/rest/api/content/search?{urlencode(query)}"
    results = [
        {
            "id": p.id,
            "type": "page",
            "title": p.title,
            "space": {"key": p.space},
            "version": {"number": p.version},
            "ancestors": [],
        }
        for p in window
    ]
    return web.json_response({"results": results, "start": start, "_links": links})


@contextmanager
def serve(fake: FakeConfluence) -> Iterator[str]:
    """Run the fake; yields the site's base URL (`http://127.0.0.1:<port>/wiki`)."""
    with ThreadedServer(_app(fake)) as server:
        yield f"{server.url}/wiki"
