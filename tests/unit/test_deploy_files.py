"""Deploy files cannot run here (no Docker engine), so their references are checked instead:
every setting they pass exists, ports and probes match what `deskmate serve` provides (its
routes read from the real application's router)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr

from adapters.runtime import open_runtime
from adapters.server import build_app
from adapters.settings import AppSettings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SETTING_NAMES = AppSettings.env_names()
DEFAULT_PORT = AppSettings(_env_file=None).serve.port  # type: ignore[call-arg]


def _k8s() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def _kind(kind: str) -> list[dict[str, Any]]:
    return [d for d in _k8s() if d["kind"] == kind]


def test_compose_passes_only_real_settings_and_publishes_the_serve_port() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    deskmate = compose["services"]["deskmate"]

    assert set(deskmate["environment"]) <= SETTING_NAMES
    assert f"{DEFAULT_PORT}:{DEFAULT_PORT}" in deskmate["ports"]
    assert deskmate["build"]["dockerfile"] == "deploy/Dockerfile"
    assert "pgvector" in compose["services"]["db"]["image"]
    for mount in deskmate["volumes"]:
        source = mount.split(":", 1)[0]
        if source.startswith("./"):
            assert (DEPLOY / source).exists(), source


def test_the_dockerfile_runs_serve_as_a_non_root_user_offline() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()

    assert re.search(rf"^EXPOSE {DEFAULT_PORT}$", dockerfile, re.M)
    assert re.search(r"^USER (?!root|0\b)\S+$", dockerfile, re.M)
    assert 'CMD ["deskmate", "serve"]' in dockerfile
    assert "HF_HUB_OFFLINE=1" in dockerfile
    assert "torch==2.13.0" in dockerfile
    for name in re.findall(r"\b(DESKMATE_[A-Z_]+)=", dockerfile):
        assert name in SETTING_NAMES


def test_k8s_config_and_secret_hold_only_real_settings() -> None:
    config = next(d for d in _kind("ConfigMap") if d["metadata"]["name"] == "deskmate-config")
    (secret,) = _kind("Secret")

    assert set(config["data"]) <= SETTING_NAMES
    assert set(secret["stringData"]) <= SETTING_NAMES


@pytest.fixture
async def serve_routes(settings: AppSettings) -> set[str]:
    """The paths `deskmate serve` answers, with Slack and Teams both configured."""
    slack = {"slack_bot_token": SecretStr("xoxb-test"), "slack_signing_secret": SecretStr("s")}
    async with open_runtime(settings.replace(**slack)) as runtime:
        app = build_app(runtime)
        return {route.resource.canonical for route in app.router.routes() if route.resource}


async def test_k8s_probes_and_ports_match_the_server(serve_routes: set[str]) -> None:
    (deployment,) = _kind("Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]

    assert container["ports"][0]["containerPort"] == DEFAULT_PORT
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {container["readinessProbe"]["httpGet"]["path"]} <= serve_routes
    assert {container["livenessProbe"]["httpGet"]["path"]} <= serve_routes
    assert {"/slack/events", "/api/messages", "/metrics"} <= serve_routes
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_k8s_mounts_the_sources_and_groups_files_where_the_settings_look() -> None:
    (deployment,) = _kind("Deployment")
    spec = deployment["spec"]["template"]["spec"]
    config = next(d for d in _kind("ConfigMap") if d["metadata"]["name"] == "deskmate-config")
    sources = next(d for d in _kind("ConfigMap") if d["metadata"]["name"] == "deskmate-sources")
    mounts = {m["name"]: m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}

    assert config["data"]["DESKMATE_SOURCES"] == f"{mounts['config']}/sources.yaml"
    assert config["data"]["DESKMATE_GROUPS"] == f"{mounts['config']}/groups.yaml"
    assert yaml.safe_load(sources["data"]["sources.yaml"])["sources"]
    claims = {
        v["persistentVolumeClaim"]["claimName"]
        for v in spec["volumes"]
        if "persistentVolumeClaim" in v
    }
    assert claims == {d["metadata"]["name"] for d in _kind("PersistentVolumeClaim")}


def test_the_runtime_stage_has_the_exported_model_and_no_torch() -> None:
    build, runtime = re.split(r"^FROM ", (DEPLOY / "Dockerfile").read_text(), flags=re.M)[1:]

    assert re.search(r"/opt/deskmate/bin/pip install \.$", build, re.M)  # no [torch] extra
    assert "prepare-model --model-dir /opt/deskmate-models" in build
    assert "COPY --from=build /opt/deskmate-models /opt/deskmate-models" in runtime
    assert "DESKMATE_MODEL_DIR=/opt/deskmate-models" in runtime
    assert "/opt/export" not in runtime  # the virtualenv with torch stays behind
