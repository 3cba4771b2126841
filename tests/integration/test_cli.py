"""The `deskmate` command line, entered through its real entry point."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from typer.testing import CliRunner

from adapters.cli import app
from tests.conftest import EXAMPLES, FIXTURES

runner = CliRunner()


def _env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "DESKMATE_DATA_DIR": str(tmp_path / "data"),
        "DESKMATE_SOURCES": str(EXAMPLES / "sources.yaml"),
        "DESKMATE_GROUPS": str(EXAMPLES / "groups.yaml"),
    }


def test_ask_json_gives_the_answer_and_its_sources_best_first(
    sample_db: str, tmp_path: Path
) -> None:
    result = runner.invoke(
        app, ["ask", "How many sick days do I get?", "--json"], env=_env(sample_db, tmp_path)
    )

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {"answer", "answered", "sources"}
    assert data["answered"] is True
    assert "10" in data["answer"]
    first = data["sources"][0]
    assert set(first) >= {"title", "url", "path", "source", "score", "pages"}
    assert (first["source"], first["path"]) == ("hr", "pto-policy.pdf")
    assert 2 in first["pages"]


def test_ask_about_something_unknown_says_so_plainly(sample_db: str, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["ask", "Who won the 1966 World Cup?", "--json"], env=_env(sample_db, tmp_path)
    )

    data = json.loads(result.stdout)
    assert data["answered"] is False
    assert data["answer"].startswith("I couldn't find an answer")


def test_ask_as_an_hr_member_sees_the_restricted_source(sample_db: str, tmp_path: Path) -> None:
    question = ["ask", "What is the salary band for L4?", "--json"]
    ordinary = json.loads(runner.invoke(app, question, env=_env(sample_db, tmp_path)).stdout)
    as_hr = json.loads(
        runner.invoke(app, [*question, "--as", "U0HRLEAD"], env=_env(sample_db, tmp_path)).stdout
    )

    assert "hr-restricted" not in {s["source"] for s in ordinary["sources"]}
    assert as_hr["sources"][0]["source"] == "hr-restricted"


def test_index_a_confluence_zip_export_and_show_status(empty_db: str, tmp_path: Path) -> None:
    archive = shutil.make_archive(str(tmp_path / "SPACE"), "zip", FIXTURES, "confluence")
    env = _env(empty_db, tmp_path)

    indexed = runner.invoke(app, ["index", archive, "--json"], env=env)
    status = runner.invoke(app, ["status", "--json"], env=env)

    assert indexed.exit_code == 0, indexed.output
    summary = json.loads(indexed.stdout)
    assert summary["added"] >= 3
    assert summary["failed"] == 0
    data = json.loads(status.stdout)
    assert data["sources"][0]["source"] == "space"
    assert data["runs"][0]["status"] == "succeeded"
    assert data["next_reindex"].endswith("02:00:00+00:00")  # the default nightly schedule


def test_a_missing_path_is_a_one_line_error(empty_db: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["index", str(tmp_path / "nope")], env=_env(empty_db, tmp_path))

    assert result.exit_code == 1
    assert "path not found" in result.output
    assert "Traceback" not in result.output


def test_an_empty_question_is_a_usage_error() -> None:
    assert runner.invoke(app, ["ask", "  "]).exit_code == 2


def test_version_prints_the_installed_version() -> None:
    result = CliRunner().invoke(app, ["--version"])

    assert result.exit_code == 0
    assert result.output.strip() == f"deskmate {version('deskmate')}"


def test_an_unknown_option_is_a_usage_error() -> None:
    assert runner.invoke(app, ["ask", "hi", "--bogus"]).exit_code == 2


def test_an_unreachable_database_is_a_one_line_error_without_a_traceback(tmp_path: Path) -> None:
    env = _env("postgresql://deskmate:s3cret-pw@127.0.0.1:1/deskmate", tmp_path)

    result = subprocess.run(
        [sys.executable, "-m", "adapters", "status"],
        env=env | {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert "cannot connect to the database" in result.stderr
    assert "s3cret-pw" not in result.stderr + result.stdout  # secrets never reach the output
    assert "Traceback" not in result.stderr


def test_demo_indexes_the_sample_knowledge_base_and_answers_with_sources(
    empty_db: str, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["demo"], env=_env(empty_db, tmp_path))

    assert result.exit_code == 0, result.output
    assert "0 failed" in result.stdout
    assert result.stdout.count("Sources") == 3
    assert "15%" in result.stdout  # the ESPP discount
    assert "Halyard Connect" in result.stdout  # how to reach the VPN


def test_a_database_without_pgvector_rights_gets_a_clear_error(
    server_url: str, empty_db: str, tmp_path: Path
) -> None:
    import psycopg
    from psycopg.conninfo import make_conninfo

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS plain_user")
        conn.execute("CREATE ROLE plain_user LOGIN")
    url = make_conninfo(empty_db, user="plain_user")

    result = runner.invoke(app, ["status"], env=_env(url, tmp_path))

    assert result.exit_code == 1
    assert "CREATE EXTENSION vector failed" in result.output
    assert "Traceback" not in result.output


def test_a_knowledge_base_built_from_a_path_re_indexes_and_evaluates_without_sources_yaml(
    empty_db: str, tmp_path: Path
) -> None:
    env = _env(empty_db, tmp_path) | {"DESKMATE_SOURCES": str(tmp_path / "sources.yaml")}
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        json.dumps({"question": "How many vacation days do I get?", "expected_sources": ["pto"]})
        + "\n"
    )

    indexed = runner.invoke(app, ["index", str(EXAMPLES / "kb" / "hr"), "--json"], env=env)
    reindexed = runner.invoke(app, ["index", "--json"], env=env)  # the remembered folder
    evaluated = runner.invoke(app, ["eval", str(questions), "--json"], env=env)

    assert indexed.exit_code == 0, indexed.output
    assert reindexed.exit_code == 0, reindexed.output
    assert json.loads(reindexed.stdout)["unchanged"] == json.loads(indexed.stdout)["added"]
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads(evaluated.stdout)["summary"]["recall_at_k"] == 1.0
    for result in (indexed, reindexed, evaluated):
        assert "no contacts" not in result.output  # nothing to warn about on every command


def test_re_indexing_with_neither_sources_yaml_nor_an_indexed_path_says_what_to_do(
    empty_db: str, tmp_path: Path
) -> None:
    env = _env(empty_db, tmp_path) | {"DESKMATE_SOURCES": str(tmp_path / "sources.yaml")}

    result = runner.invoke(app, ["index"], env=env)

    assert result.exit_code == 1
    assert "deskmate index PATH" in result.output
    assert "Traceback" not in result.output
