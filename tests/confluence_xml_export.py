"""Builds small Confluence XML space exports in the real `entities.xml` format, for tests."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

_PAGES = "com.atlassian.confluence.pages"
_SECURITY = "com.atlassian.confluence.security"


@dataclass
class XmlExport:
    """Add spaces, pages, bodies and attachments; `write` produces `entities.xml` and files."""

    objects: list[str] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)

    def space(self, space_id: str, key: str, name: str) -> None:
        self.objects.append(
            f'<object class="Space" package="com.atlassian.confluence.spaces">'
            f'<id name="id">{space_id}</id>'
            f'<property name="name">{escape(name)}</property>'
            f'<property name="key">{key}</property></object>'
        )

    def user(self, key: str, name: str, email: str | None = None) -> None:
        mail = f'<property name="email">{escape(email)}</property>' if email else ""
        self.objects.append(
            f'<object class="ConfluenceUserImpl" package="com.atlassian.confluence.user">'
            f'<id name="key">{key}</id><property name="name">{escape(name)}</property>'
            f"{mail}</object>"
        )

    def restrict(
        self,
        page_id: str,
        *,
        kind: str = "View",
        groups: tuple[str, ...] = (),
        users: tuple[str, ...] = (),
    ) -> None:
        """A page restriction: a `ContentPermissionSet` of `kind` and one permission each."""
        set_id = f"8{page_id}{kind}"
        self.objects.append(
            f'<object class="ContentPermissionSet" package="{_SECURITY}">'
            f'<id name="id">{set_id}</id><property name="type">{kind}</property>'
            f'<property name="owningContent" class="Page" package="{_PAGES}">'
            f'<id name="id">{page_id}</id></property></object>'
        )
        subjects = [(group, False) for group in groups] + [(user, True) for user in users]
        for n, (value, is_user) in enumerate(subjects):
            subject = (
                f'<property name="userSubject" class="ConfluenceUserImpl" '
                f'package="com.atlassian.confluence.user"><id name="key">{value}</id></property>'
                if is_user
                else f'<property name="groupName"><![CDATA[{value}]]></property>'
            )
            self.objects.append(
                f'<object class="ContentPermission" package="{_SECURITY}">'
                f'<id name="id">{set_id}{n}</id><property name="type">{kind}</property>'
                f"{subject}"
                f'<property name="owningSet" class="ContentPermissionSet" package="{_SECURITY}">'
                f'<id name="id">{set_id}</id></property></object>'
            )

    def page(
        self,
        page_id: str,
        title: str,
        body: str,
        *,
        space: str,
        parent: str | None = None,
        status: str = "current",
        original: str | None = None,
        version: int = 1,
        modified: str = "2026-03-04 10:15:00.000",
        kind: str = "Page",
    ) -> None:
        parent_ref = (
            f'<property name="parent" class="Page" package="{_PAGES}">'
            f'<id name="id">{parent}</id></property>'
            if parent
            else ""
        )
        original_ref = (
            f'<property name="originalVersion" class="Page" package="{_PAGES}">'
            f'<id name="id">{original}</id></property>'
            if original
            else '<property name="originalVersionId"/>'
        )
        body_id = f"9{page_id}"
        self.objects.append(
            f'<object class="{kind}" package="{_PAGES}"><id name="id">{page_id}</id>'
            f'<property name="title"><![CDATA[{title}]]></property>{parent_ref}'
            f'<property name="space" class="Space" package="com.atlassian.confluence.spaces">'
            f'<id name="id">{space}</id></property>'
            f'<collection name="bodyContents" class="java.util.Collection">'
            f'<element class="BodyContent" package="com.atlassian.confluence.core">'
            f'<id name="id">{body_id}</id></element></collection>'
            f'<property name="version">{version}</property>'
            f'<property name="lastModificationDate">{modified}</property>'
            f"{original_ref}"
            f'<property name="contentStatus"><![CDATA[{status}]]></property></object>'
        )
        self.objects.append(
            f'<object class="BodyContent" package="com.atlassian.confluence.core">'
            f'<id name="id">{body_id}</id>'
            f'<property name="body"><![CDATA[{body}]]></property>'
            f'<property name="content" class="{kind}" package="{_PAGES}">'
            f'<id name="id">{page_id}</id></property>'
            f'<property name="bodyType">2</property></object>'
        )

    def attachment(
        self, attachment_id: str, page_id: str, name: str, data: bytes, version: int = 1
    ) -> None:
        self.objects.append(
            f'<object class="Attachment" package="{_PAGES}"><id name="id">{attachment_id}</id>'
            f'<property name="title"><![CDATA[{name}]]></property>'
            f'<property name="version">{version}</property>'
            f'<property name="contentStatus">current</property>'
            f'<property name="containerContent" class="Page" package="{_PAGES}">'
            f'<id name="id">{page_id}</id></property></object>'
        )
        self.files[f"attachments/{page_id}/{attachment_id}/{version}"] = data

    def entities(self) -> str:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<hibernate-generic datetime="2026-03-05 09:00:00">\n'
            + "\n".join(self.objects)
            + "\n</hibernate-generic>\n"
        )

    def write(self, root: Path) -> Path:
        root.mkdir(parents=True, exist_ok=True)
        (root / "entities.xml").write_text(self.entities(), encoding="utf-8")
        (root / "exportDescriptor.properties").write_text("exportType=space\n")
        for relative, data in self.files.items():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_bytes(data)
        return root

    def write_zip(self, path: Path) -> Path:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("entities.xml", self.entities())
            archive.writestr("exportDescriptor.properties", "exportType=space\n")
            for relative, data in self.files.items():
                archive.writestr(relative, data)
        return path
