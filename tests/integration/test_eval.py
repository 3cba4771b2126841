"""`deskmate eval` on the shipped question file over the sample knowledge base."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from adapters.cli import app
from tests.conftest import EXAMPLES
from tests.integration.test_cli import _env

runner = CliRunner()
QUESTIONS = EXAMPLES / "questions.jsonl"


def test_the_example_questions_score_well_and_leak_nothing(sample_db: str, tmp_path: Path) -> None:
    report = tmp_path / "report.html"

    result = runner.invoke(
        app,
        ["eval", str(QUESTIONS), "--json", "--report", str(report), "--min-recall", "0.9"],
        env=_env(sample_db, tmp_path),
    )

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["questions"] == len(QUESTIONS.read_text().splitlines())
    assert summary["recall_at_k"] >= 0.9
    assert summary["mrr"] >= 0.8
    assert summary["access_leaks"] == 0
    assert summary["refusal_accuracy"] >= 0.5
    html = report.read_text()
    assert "<svg" in html
    assert "What discount does the ESPP give?" in html


def test_a_missed_threshold_fails_the_run(sample_db: str, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["eval", str(QUESTIONS), "--min-mrr", "1.01"], env=_env(sample_db, tmp_path)
    )

    assert result.exit_code == 1
    assert "threshold missed: mrr" in result.output


def test_a_source_outside_the_askers_audience_counts_as_a_leak(
    empty_db: str, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "bonus.md").write_text("# Bonus pool\n\nThe 2026 bonus pool is 7% of payroll.\n")
    env = _env(empty_db, tmp_path)
    indexed = runner.invoke(app, ["index", str(secret)], env=env)  # indexed open to everyone...
    assert indexed.exit_code == 0, indexed.output
    sources = tmp_path / "sources.yaml"  # ...while the configuration says HR only
    sources.write_text("sources:\n  - {name: secret, path: secret, audience: [hr]}\n")
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"question": "How big is the bonus pool?"}) + "\n")

    result = runner.invoke(
        app, ["eval", str(questions), "--json"], env=env | {"DESKMATE_SOURCES": str(sources)}
    )

    assert result.exit_code == 1
    assert json.loads(result.stdout)["summary"]["access_leaks"] >= 1
    assert "access leaks" in result.output


def test_a_malformed_question_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok"}\n{not json}\n')

    result = runner.invoke(app, ["eval", str(bad)])

    assert result.exit_code == 2
    assert "bad.jsonl:2" in result.output
