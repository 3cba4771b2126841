"""The ONNX embedder (the default) and what happens when DESKMATE_EMBEDDINGS changes: a
knowledge base never mixes two models' vectors, and `deskmate index` re-embeds it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from adapters.cli import app
from adapters.runtime import open_runtime
from bot.embeddings import make_embedder
from bot.errors import ConfigError
from bot.onnx_embedder import OnnxEmbedder
from bot.onnx_export import cached_model
from tests.conftest import EXAMPLES, MODELS, make_settings


def test_onnx_vectors_are_unit_length_and_rank_a_paraphrase_first() -> None:
    embedder = OnnxEmbedder(MODELS)
    texts = [
        "Employees get 20 days of paid vacation per year.",
        "The VPN client must be installed before connecting from home.",
        "Expense reports are due within 30 days of travel.",
    ]

    docs = embedder.embed(texts)
    query = embedder.embed(["How many vacation days do I get annually?"])[0]

    assert embedder.name == "all-MiniLM-L6-v2:onnx-int8"
    assert docs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    assert int(np.argmax(docs @ query)) == 0


def test_batching_keeps_each_vector_with_its_text() -> None:
    """Texts are sorted by length into batches; each row must still belong to its text."""
    embedder = OnnxEmbedder(MODELS, batch_size=2)
    texts = ["a long sentence about the travel policy and its many rules " * 4, "vpn", "holidays"]

    together = embedder.embed(texts)
    alone = np.vstack([embedder.embed([t]) for t in texts])

    assert np.all(np.sum(together * alone, axis=1) > 0.95)


def test_a_tampered_model_file_is_not_used(tmp_path: Path) -> None:
    copy = tmp_path / "onnx-int8"
    shutil.copytree(MODELS / "onnx-int8", copy)
    assert cached_model(tmp_path, "int8") == copy / "model.onnx"

    with (copy / "model.onnx").open("r+b") as model:
        model.seek(1000)
        model.write(b"\x00\x01\x02\x03")

    assert cached_model(tmp_path, "int8") is None


async def test_switching_models_re_embeds_the_knowledge_base_on_index(
    empty_db: str, tmp_path: Path
) -> None:
    async with open_runtime(make_settings(empty_db, tmp_path, embeddings="fake")) as runtime:
        await runtime.reindex("tests")
        chunks = await runtime.store.documents.chunk_count()

    settings = make_settings(empty_db, tmp_path)  # the default: ONNX int8
    async with open_runtime(settings) as runtime:
        with pytest.raises(ConfigError, match=r"embedded with fake-hashing.*run `deskmate index`"):
            runtime.require_current_embeddings()
        summary = await runtime.reindex("tests")
        runtime.require_current_embeddings()
        (chunk_id, path, text) = (await runtime.store.documents.chunks_after(0, 1))[0]
        async with runtime.store.pool.connection() as conn:
            cur = await conn.execute("SELECT embedding FROM chunks WHERE id = %s", (chunk_id,))
            stored = np.asarray((await cur.fetchone())[0])  # type: ignore[index]

    assert (summary.added, summary.updated) == (0, 0)  # re-embedded from the stored text
    expected = make_embedder(settings).embed([" > ".join(path) + "\n" + text if path else text])
    assert float(stored @ expected[0]) > 0.95  # the new model's (int8 varies with the batch)
    assert chunks > 0


def test_ask_after_a_switch_says_to_run_index_in_one_line(empty_db: str, tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": empty_db,
        "DESKMATE_DATA_DIR": str(tmp_path / "data"),
        "DESKMATE_SOURCES": str(EXAMPLES / "sources.yaml"),
        "DESKMATE_GROUPS": str(EXAMPLES / "groups.yaml"),
    }
    built = CliRunner().invoke(app, ["index", "--json"], env=env | {"DESKMATE_EMBEDDINGS": "fake"})
    assert built.exit_code == 0, built.output

    asked = CliRunner().invoke(app, ["ask", "How many sick days do I get?"], env=env)
    indexed = CliRunner().invoke(app, ["index", "--json"], env=env)
    again = CliRunner().invoke(app, ["ask", "How many sick days do I get?", "--json"], env=env)

    assert asked.exit_code == 1
    assert "run `deskmate index` once to re-embed it" in asked.output
    assert "Traceback" not in asked.output
    assert indexed.exit_code == 0, indexed.output
    assert json.loads(indexed.stdout)["added"] == 0  # nothing was re-read or re-added
    assert json.loads(again.stdout)["answered"] is True
