"""The Teams app package: `deploy/teams/manifest.json` with the bot's app id filled in, zipped
with its two icons, ready to upload in Teams or the Teams admin center."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

from bot.errors import ConfigError

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "teams"
ICONS = ("color.png", "outline.png")
_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def build_package(
    app_id: str,
    output: Path,
    *,
    developer_name: str = "Deskmate",
    website_url: str = "https://example.com/deskmate",
    source: Path = DEPLOY,
) -> Path:
    """Write the upload zip to `output`: manifest.json, color.png and outline.png at its root."""
    if not _GUID.match(app_id):
        raise ConfigError(
            f"{app_id!r} is not a Microsoft App ID; use the Application (client) ID of the "
            "bot's app registration, a GUID like 00000000-0000-0000-0000-000000000000"
        )
    if not website_url.startswith("https://"):
        raise ConfigError("the website URL must start with https:// (Teams requires it)")
    if not (source / "manifest.json").exists():
        raise ConfigError(f"{source / 'manifest.json'} not found; run from a Deskmate checkout")
    template = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    values = {
        "MICROSOFT_APP_ID": app_id,
        "DEVELOPER_NAME": developer_name,
        "WEBSITE_URL": website_url,
    }
    text = json.dumps(_fill(template, values), indent=2, ensure_ascii=False)
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", text)
        for icon in ICONS:
            package.write(source / icon, icon)
    return output


def _fill(value: Any, values: dict[str, str]) -> Any:
    """`value` with every `{{NAME}}` in its strings replaced."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], value)
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    return value
