"""Test fixtures: one embedded PostgreSQL for the whole suite, the local model exported (at
install, or by the first test) and loaded once, a fresh database per test, and no network
except loopback."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
for name in list(os.environ):  # the tests decide every setting themselves
    if name.startswith(("DESKMATE_", "SLACK_", "MICROSOFT_", "OPENAI_", "CONFLUENCE_")) or (
        name == "DATABASE_URL"
    ):
        del os.environ[name]
# The ONNX model `make install` exports into the virtualenv: every test (and every CLI run)
# shares it instead of exporting one per data dir.
MODELS = Path(sys.prefix) / "deskmate-models"
os.environ["DESKMATE_MODEL_DIR"] = str(MODELS)

from adapters.runtime import Runtime, open_runtime  # noqa: E402
from adapters.settings import AppSettings  # noqa: E402
from bot.database import start_embedded, stop_embedded  # noqa: E402
from tests.fakes.openai_server import FakeOpenAI, serve  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


# --- no network but loopback -------------------------------------------------------------

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0] if isinstance(address, tuple) else str(address)
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = host == "localhost"
        if not allowed:
            raise ConnectionRefusedError(f"tests may not reach the network ({host})")
    _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    socket.socket.connect = _loopback_only  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]


@pytest.fixture(autouse=True, scope="session")
def _onnx_model() -> None:
    """Export the ONNX model now if `make install` has not, rather than inside a test."""
    from bot.onnx_export import prepare

    prepare(MODELS, "int8")


# --- one embedded PostgreSQL, a database per test ---------------------------------------


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """The admin URL of the suite's embedded PostgreSQL (postgres database)."""
    with tempfile.TemporaryDirectory(prefix="deskmate-tests-") as tmp:
        try:
            yield make_conninfo(start_embedded(Path(tmp) / "pg"), dbname="postgres")
        finally:
            stop_embedded(Path(tmp) / "pg")


def _create_database(server_url: str, template: str | None = None) -> str:
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server_url, autocommit=True) as conn:
        clause = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{clause}')
    return name


def _url_for(server_url: str, database: str) -> str:
    return make_conninfo(server_url, dbname=database)


def _drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_settings(database_url: str, tmp_path: Path, **overrides: object) -> AppSettings:
    values: dict[str, object] = {
        "database_url": database_url,
        "data_dir": tmp_path / "data",
        "sources_file": EXAMPLES / "sources.yaml",
        "groups_file": EXAMPLES / "groups.yaml",
        "tone_file": tmp_path / "no-tone.yaml",
    }
    values.update(overrides)
    return AppSettings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def empty_db(server_url: str) -> Iterator[str]:
    """URL of a new, empty database for this test."""
    name = _create_database(server_url)
    yield _url_for(server_url, name)
    _drop_database(server_url, name)


@pytest.fixture(scope="session")
def sample_kb_template(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database holding the sample knowledge base, indexed once, copied for each test."""
    name = _create_database(server_url)
    settings = make_settings(_url_for(server_url, name), tmp_path_factory.mktemp("template"))

    async def index() -> None:
        async with open_runtime(settings) as runtime:
            summary = await runtime.reindex("tests")
            assert summary.failed == 0, summary.errors

    asyncio.run(index())
    return name


@pytest.fixture
def sample_db(server_url: str, sample_kb_template: str) -> Iterator[str]:
    """URL of this test's own copy of the indexed sample knowledge base."""
    name = _create_database(server_url, template=sample_kb_template)
    yield _url_for(server_url, name)
    _drop_database(server_url, name)


@pytest.fixture
def settings(empty_db: str, tmp_path: Path) -> AppSettings:
    return make_settings(empty_db, tmp_path)


@pytest.fixture
def sample_settings(sample_db: str, tmp_path: Path) -> AppSettings:
    return make_settings(sample_db, tmp_path)


@pytest.fixture
async def runtime(settings: AppSettings) -> AsyncIterator[Runtime]:
    async with open_runtime(settings) as rt:
        yield rt


@pytest.fixture
async def sample(sample_settings: AppSettings) -> AsyncIterator[Runtime]:
    """A runtime over the indexed sample knowledge base."""
    async with open_runtime(sample_settings) as rt:
        yield rt


@pytest.fixture
def fake_openai() -> Iterator[tuple[FakeOpenAI, str]]:
    """A fake OpenAI-compatible server on loopback: (its state, its /v1 base URL)."""
    fake = FakeOpenAI()
    with serve(fake) as server:
        yield fake, f"{server.url}/v1"


def llm_settings(
    database_url: str, tmp_path: Path, base_url: str, **overrides: object
) -> AppSettings:
    """AppSettings with a chat model pointed at the fake OpenAI server, fast timeouts."""
    values: dict[str, object] = {
        "openai_api_key": "sk-test-not-a-real-key",
        "openai_base_url": base_url,
        "llm_timeout": 2.0,
        "llm_retries": 1,
    }
    values.update(overrides)
    return make_settings(database_url, tmp_path, **values)


def exports_with_a_broken_file(tmp_path: Path) -> Path:
    """A `sources.yaml` naming one folder: a good Markdown page and a PDF cut short."""
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "travel.md").write_text("# Travel\n\nBook trains for trips under four hours.\n")
    (exports / "broken.pdf").write_bytes(b"%PDF-1.7 cut short by the export job")
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - {name: hr, kind: files, path: exports}\n")
    return sources
