"""Confluence XML space exports (and site backups): `entities.xml` plus `attachments/`.

`entities.xml` is a flat list of `<object class="Space|Page|BlogPost|BodyContent|Attachment|…">`
records that refer to each other by id. It is stream-parsed twice, so memory stays bounded by
the number of pages, never by the size of their text: the first pass keeps each page's title,
parent, status and version (no bodies); the second converts each current page's body as it
streams past. Historical versions (`originalVersion` set), drafts and trashed pages are left
out. A folder or a `.zip` holding the export may be given.

The streaming happens where jobs are found (`xml_jobs`); each page's job, run in a parse
worker, converts its body and finds its attachments' jobs.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from lxml import etree

from bot.errors import LoadError
from indexer.loaders import docx, pdf, slides, spreadsheet
from indexer.loaders.parsed import Parsed, join_url, require_content
from indexer.loaders.storage_format import storage_sections
from indexer.permissions import Readers, page_audience
from indexer.records import FileError, JobResult, LoadedDocument, Source, run_all

ENTITIES = "entities.xml"
UNMATCHED_USER = "confluence-user:"  # a restricted page's reader the export gives no e-mail for
_USER_KEY = re.compile(r'ri:(?:userkey|account-id)="([^"]+)"')
_CONTENT_CLASSES = frozenset({"Page", "BlogPost"})
_ATTACHMENT_PARSERS: dict[str, Callable[[Path], Parsed]] = {
    ".pdf": pdf.parse,
    ".docx": docx.parse,
    ".xlsx": spreadsheet.parse,
    ".pptx": slides.parse,
}


@dataclass
class _Content:
    id: str
    title: str
    space: str
    parent: str | None
    updated_at: datetime | None
    attachments: list[_Attachment] = field(default_factory=list)


@dataclass(frozen=True)
class _Attachment:
    id: str
    name: str
    version: str


@dataclass
class _Catalog:
    """What the first pass learns: current pages, spaces, users, and which body is whose."""

    contents: dict[str, _Content] = field(default_factory=dict)
    spaces: dict[str, str] = field(default_factory=dict)  # id -> name
    users: dict[str, str] = field(default_factory=dict)  # key -> name
    emails: dict[str, str] = field(default_factory=dict)  # key -> e-mail
    bodies: dict[str, str] = field(default_factory=dict)  # BodyContent id -> content id
    restrictions: dict[str, Readers] = field(default_factory=dict)  # content id -> its readers


def is_xml_export(path: Path) -> bool:
    """A folder holding `entities.xml`, or a zip with it at its top."""
    if path.is_dir():
        return (path / ENTITIES).is_file()
    if path.suffix.lower() == ".zip" and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return ENTITIES in archive.namelist()
    return False


def load_xml_export(source: Source, root: Path) -> Iterator[LoadedDocument | FileError]:
    """Every current page and blog post with text, each followed by its attachments (parsed
    here, in this process)."""
    for job in xml_jobs(source, root):
        if isinstance(job, FileError):
            yield job
        else:
            yield from run_all(job)


def xml_jobs(source: Source, root: Path) -> Iterator[XmlPageJob | FileError]:
    """A job per current page, found while `entities.xml` streams past."""
    with _Export.open(root) as export:
        try:
            catalog = _scan(export)
            for content, body in _bodies(export, catalog):
                mentioned = {
                    k: catalog.users[k] for k in _USER_KEY.findall(body) if k in catalog.users
                }
                yield XmlPageJob(
                    source,
                    root,
                    content,
                    body,
                    _breadcrumbs(catalog, content),
                    mentioned,
                    _audience(source, catalog, content),
                )
        except etree.XMLSyntaxError as exc:
            yield FileError(ENTITIES, f"not a readable Confluence XML export ({exc.msg})")


@dataclass(frozen=True)
class XmlPageJob:
    """One page of the export: its body is converted in a parse worker."""

    source: Source
    root: Path
    content: _Content
    body: str
    breadcrumbs: tuple[str, ...]
    users: dict[str, str]
    audience: tuple[str, ...] | None = None  # a restricted page's own readers

    @property
    def path(self) -> str:
        return f"pages/{self.content.id}"

    @property
    def file(self) -> Path:
        # a record inside entities.xml, not a file of its own: no file size to check (the
        # export is as large as it is); its text is limited like any document's
        return self.root / ENTITIES / self.path

    @property
    def keeps(self) -> tuple[str, ...]:
        return (f"attachments/{self.content.id}/",)

    def run(self) -> JobResult:
        sections = storage_sections(self.body, self.users.get)
        content = self.content
        documents: tuple[LoadedDocument, ...] = ()
        if sections:
            documents = (
                LoadedDocument(
                    source=self.source.name,
                    path=self.path,
                    title=content.title,
                    sections=sections,
                    url=_page_url(self.source, content.id),
                    updated_at=content.updated_at,
                    breadcrumbs=self.breadcrumbs,
                    audience=self.audience,
                ),
            )
        attachments = tuple(
            XmlAttachmentJob(
                self.source, self.root, content, self.breadcrumbs, attachment, self.audience
            )
            for attachment in sorted(content.attachments, key=lambda a: a.name)
            if Path(attachment.name).suffix.lower() in _ATTACHMENT_PARSERS
        )
        return JobResult(documents, attachments)


@dataclass(frozen=True)
class XmlAttachmentJob:
    """A PDF, DOCX, XLSX or PPTX attachment (`attachments/<page>/<id>/<version>`)."""

    source: Source
    root: Path
    content: _Content
    breadcrumbs: tuple[str, ...]
    attachment: _Attachment
    audience: tuple[str, ...] | None = None  # its page's
    keeps: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return f"attachments/{self.content.id}/{self.attachment.name}"

    @property
    def file(self) -> Path:
        return self.root / _member(self.content.id, self.attachment)

    def run(self) -> JobResult:
        with _Export.open(self.root) as export:
            return JobResult((self._load(export),))

    def _load(self, export: _Export) -> LoadedDocument | FileError:
        content, attachment = self.content, self.attachment
        file = export.attachment(content.id, attachment)
        if file is None:
            return FileError(self.path, "attachment file missing from the export")
        try:
            require_content(file)
            parsed = _ATTACHMENT_PARSERS[Path(attachment.name).suffix.lower()](file)
        except LoadError as exc:
            return FileError(self.path, str(exc))
        return LoadedDocument(
            source=self.source.name,
            path=self.path,
            title=f"{attachment.name} (attachment of {content.title})",
            sections=parsed.sections,
            url=_attachment_url(self.source, content.id, attachment.name),
            updated_at=parsed.updated_at or content.updated_at,
            parent_path=f"pages/{content.id}",
            breadcrumbs=(*self.breadcrumbs, content.title),
            audience=self.audience,
        )


def _member(page_id: str, attachment: _Attachment) -> str:
    return f"attachments/{page_id}/{attachment.id}/{attachment.version}"


class _Export:
    """The export's files, whether in a folder or a zip (attachments are extracted one by one)."""

    def __init__(self, root: Path, archive: zipfile.ZipFile | None, scratch: Path) -> None:
        self._root = root
        self._archive = archive
        self._scratch = scratch

    @classmethod
    @contextmanager
    def open(cls, root: Path) -> Iterator[_Export]:
        scratch = Path(tempfile.mkdtemp(prefix="deskmate-xml-"))
        try:
            if root.is_dir():
                yield cls(root, None, scratch)
            else:
                with zipfile.ZipFile(root) as archive:
                    yield cls(root, archive, scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    @contextmanager
    def entities(self) -> Iterator[IO[bytes]]:
        if self._archive is not None:
            with self._archive.open(ENTITIES) as handle:
                yield handle
        else:
            with (self._root / ENTITIES).open("rb") as handle:
                yield handle

    def attachment(self, page_id: str, attachment: _Attachment) -> Path | None:
        """The file of the attachment's current version (`attachments/<page>/<id>/<version>`)."""
        relative = _member(page_id, attachment)
        if self._archive is None:
            path = self._root / relative
            return path if path.is_file() else None
        try:
            info = self._archive.getinfo(relative)
        except KeyError:
            return None
        target = self._scratch / attachment.id / Path(attachment.name).name
        target.parent.mkdir(parents=True, exist_ok=True)
        with self._archive.open(info) as data, target.open("wb") as out:
            shutil.copyfileobj(data, out)
        return target


def _objects(handle: IO[bytes]) -> Iterator[tuple[str, dict[str, str]]]:
    """(class, properties) of each top-level object; each element is freed once read."""
    for _event, element in etree.iterparse(handle, events=("end",), tag="object", huge_tree=True):
        if element.getparent() is not None and element.getparent().tag == "hibernate-generic":
            yield str(element.get("class", "")), _properties(element)
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]


def _properties(element: etree._Element) -> dict[str, str]:
    """`<id>` and each `<property>`: its text, or the id of the object it refers to."""
    values: dict[str, str] = {}
    for child in element:
        if child.tag == "id":
            values["id"] = (child.text or "").strip()
        elif child.tag == "property":
            reference = child.find("id")
            text = reference.text if reference is not None else child.text
            values[str(child.get("name"))] = (text or "").strip()
    return values


def _scan(export: _Export) -> _Catalog:
    catalog = _Catalog()
    attachments: list[tuple[str, _Attachment]] = []
    view_sets: dict[str, str] = {}  # ContentPermissionSet id -> the content it restricts
    view_permissions: list[dict[str, str]] = []
    with export.entities() as handle:
        for kind, values in _objects(handle):
            if kind in _CONTENT_CLASSES and _is_current(values):
                catalog.contents[values["id"]] = _Content(
                    id=values["id"],
                    title=values.get("title") or f"Page {values['id']}",
                    space=values.get("space", ""),
                    parent=values.get("parent") or None,
                    updated_at=_timestamp(values.get("lastModificationDate")),
                )
            elif kind == "Space":
                catalog.spaces[values["id"]] = values.get("name") or values.get("key", "")
            elif kind == "ConfluenceUserImpl":
                catalog.users[values["id"]] = values.get("name") or values.get("email", "")
                if values.get("email"):
                    catalog.emails[values["id"]] = values["email"].lower()
            elif kind == "ContentPermissionSet" and values.get("type") == "View":
                view_sets[values["id"]] = values.get("owningContent", "")
            elif kind == "ContentPermission" and values.get("type") == "View":
                view_permissions.append(values)
            elif kind == "BodyContent" and values.get("content"):
                catalog.bodies[values["id"]] = values["content"]
            elif kind == "Attachment" and _is_current(values) and values.get("containerContent"):
                attachment = _Attachment(
                    values["id"], values.get("title", ""), values.get("version") or "1"
                )
                attachments.append((values["containerContent"], attachment))
    for page_id, attachment in attachments:
        if page_id in catalog.contents:
            catalog.contents[page_id].attachments.append(attachment)
    catalog.restrictions = _restrictions(view_sets, view_permissions, catalog.emails)
    return catalog


def _restrictions(
    view_sets: dict[str, str], permissions: list[dict[str, str]], emails: dict[str, str]
) -> dict[str, Readers]:
    """Each restricted page's readers. A person with no e-mail in the export is kept as a
    name nobody matches, so the page stays restricted to the others instead of opening up."""
    groups: dict[str, set[str]] = {}
    people: dict[str, set[str]] = {}
    for permission in permissions:
        content = view_sets.get(permission.get("owningSet", ""))
        if not content:
            continue
        if group := permission.get("groupName"):
            groups.setdefault(content, set()).add(group)
        if key := permission.get("userSubject"):
            if key in emails:
                people.setdefault(content, set()).add(emails[key])
            else:
                groups.setdefault(content, set()).add(f"{UNMATCHED_USER}{key}")
    return {
        content: Readers(frozenset(groups.get(content, ())), frozenset(people.get(content, ())))
        for content in set(groups) | set(people)
    }


def _audience(source: Source, catalog: _Catalog, content: _Content) -> tuple[str, ...] | None:
    """The readers of the nearest restricted page from `content` up, as an audience; None
    when no page on the way up is restricted (the source's audience applies)."""
    pages = (content.id, *_ancestors(catalog, content))
    chain = [catalog.restrictions[page] for page in pages if page in catalog.restrictions]
    if not chain:
        return None
    return page_audience(Readers(frozenset(source.audience)), chain, source.everyone_groups)


def _is_current(values: dict[str, str]) -> bool:
    """Not a historical version, a draft or in the trash."""
    status = values.get("contentStatus") or "current"
    return status == "current" and not values.get("originalVersion")


def _bodies(export: _Export, catalog: _Catalog) -> Iterator[tuple[_Content, str]]:
    """Each current page with its storage-format body, as the second pass streams past them."""
    seen: set[str] = set()
    with export.entities() as handle:
        for kind, values in _objects(handle):
            if kind != "BodyContent":
                continue
            content = catalog.contents.get(catalog.bodies.get(values.get("id", ""), ""))
            if content is not None and content.id not in seen:
                seen.add(content.id)
                yield content, values.get("body", "")
    for content_id in sorted(set(catalog.contents) - seen):  # pages with no body record
        yield catalog.contents[content_id], ""


def _ancestors(catalog: _Catalog, content: _Content) -> Iterator[str]:
    """The ids of `content`'s parent, its parent's, and so on up; the walk ends at a parent the
    export has no current page for (its id is the last one) or at a cycle."""
    parent, visited = content.parent, {content.id}
    while parent and parent not in visited:
        yield parent
        if parent not in catalog.contents:
            return
        visited.add(parent)
        parent = catalog.contents[parent].parent


def _breadcrumbs(catalog: _Catalog, content: _Content) -> tuple[str, ...]:
    """The space name, then each ancestor's title from the top down."""
    chain = [
        catalog.contents[p].title for p in _ancestors(catalog, content) if p in catalog.contents
    ]
    space = catalog.spaces.get(content.space)
    return tuple([space] if space else []) + tuple(reversed(chain))


def _page_url(source: Source, page_id: str) -> str | None:
    if not source.base_url:
        return None
    return f"{source.base_url.rstrip('/')}/pages/viewpage.action?pageId={page_id}"


def _attachment_url(source: Source, page_id: str, name: str) -> str | None:
    if not source.base_url:
        return None
    return join_url(source.base_url, "download/attachments", page_id, name)


def _timestamp(value: str | None) -> datetime | None:
    """`2024-04-22 16:35:21.231`, which Confluence writes in the server's time (taken as UTC)."""
    if not value:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None
