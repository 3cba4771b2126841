"""Knowledge sources: read from `sources.yaml`, or made ad hoc from paths on the command line."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from bot.errors import ConfigError
from bot.models import EVERYONE
from indexer.archives import extract_zip
from indexer.limits import Limits
from indexer.records import LIVE_KINDS, Source

KINDS = ("confluence", "confluence-xml", "files", "auto", *sorted(LIVE_KINDS))


def load_sources(path: Path) -> list[Source]:
    """Parse `sources.yaml`; relative paths are resolved against the file's folder."""
    if not path.exists():
        raise ConfigError(
            f"sources file {path} not found and nothing was indexed with `deskmate index "
            "PATH`; create it (see examples/sources.yaml, or set DESKMATE_SOURCES) or index "
            "a folder with `deskmate index PATH`"
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    entries = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path} must have a non-empty `sources:` list")
    sources = [_parse_source(entry, path.parent, index) for index, entry in enumerate(entries)]
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise ConfigError(f"{path}: source names must be unique, got {names}")
    return sources


def _parse_source(entry: Any, base: Path, index: int) -> Source:
    if isinstance(entry, dict) and entry.get("kind") in LIVE_KINDS:
        return _live_source(entry, index)
    if not isinstance(entry, dict) or "name" not in entry or "path" not in entry:
        raise ConfigError(f"sources[{index}] needs at least `name` and `path`")
    kind = str(entry.get("kind", "auto"))
    if kind not in KINDS:
        raise ConfigError(f"source {entry['name']}: kind must be one of {', '.join(KINDS)}")
    audience = entry.get("audience") or [EVERYONE]
    if isinstance(audience, str):
        audience = [audience]
    path = Path(str(entry["path"])).expanduser()
    return Source(
        name=str(entry["name"]),
        kind=kind,
        path=path if path.is_absolute() else (base / path).resolve(),
        base_url=entry.get("base_url"),
        audience=tuple(str(a) for a in audience),
        contact=entry.get("contact"),
    )


_SECRET_KEYS = ("token", "api_token", "password", "email")


def _live_source(entry: dict[str, Any], index: int) -> Source:
    """A Confluence site synced over its REST API: `base_url` and `spaces` or `cql`."""
    name = entry.get("name")
    if not name or not entry.get("base_url"):
        raise ConfigError(f"sources[{index}] ({entry['kind']}) needs `name` and `base_url`")
    if any(key in entry for key in _SECRET_KEYS):
        raise ConfigError(
            f"source {name}: credentials do not belong in sources.yaml; remove them and set "
            "CONFLUENCE_EMAIL + CONFLUENCE_API_TOKEN (Cloud) or CONFLUENCE_TOKEN (Data Center)"
        )
    spaces = _strings(entry.get("spaces"))
    cql = entry.get("cql")
    if not spaces and not cql:
        raise ConfigError(f"source {name}: list the `spaces` to sync, or give a `cql` query")
    return Source(
        name=str(name),
        kind=str(entry["kind"]),
        path=Path(),
        base_url=str(entry["base_url"]).rstrip("/"),
        audience=_strings(entry.get("audience")) or (EVERYONE,),
        contact=entry.get("contact"),
        spaces=spaces,
        cql=str(cql) if cql else None,
        everyone_groups=_strings(entry.get("everyone_groups")),
    )


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def ad_hoc_source(path: Path, extract_dir: Path, limits: Limits | None = None) -> Source:
    """A source for a folder or `.zip` named on the command line, visible to everyone.

    A zip is checked and extracted under `extract_dir` (see `indexer.archives`); its refused
    entries are reported by the run.
    """
    if not path.exists():
        raise ConfigError(f"path not found: {path}")
    name = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "files"
    source = Source(name=name, kind="auto", path=path.resolve())
    if is_zip(path):
        return extracted(source, extract_dir, limits or Limits())
    if not path.is_dir():
        raise ConfigError(f"{path} is neither a folder nor a .zip file")
    return source


def is_zip(path: Path) -> bool:
    return path.suffix.lower() == ".zip" and path.is_file()


def extracted(source: Source, extract_dir: Path, limits: Limits) -> Source:
    """`source` read from its zip, checked and extracted under `extract_dir/<name>`; raises
    ConfigError, having written nothing, for a zip over a limit or unreadable."""
    root, rejected = extract_zip(source.path, extract_dir / source.name, limits)
    return replace(source, path=root, rejected=rejected)
