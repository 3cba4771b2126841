"""`deskmate report`: the insights of questions asked through the CLI, as JSON, a terminal
table and a self-contained HTML file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli import app
from tests.integration.test_cli import _env
from tests.integration.test_insights import PARKING

runner = CliRunner()


@pytest.fixture
def asked(sample_db: str, tmp_path: Path) -> dict[str, str]:
    """A knowledge base asked the three parking questions (it cannot answer them) and one
    it can answer, through `deskmate ask`."""
    env = _env(sample_db, tmp_path)
    for question in (*PARKING, "How many vacation days do I get per year?"):
        assert runner.invoke(app, ["ask", question], env=env).exit_code == 0
    return env


def test_report_json_has_the_gap_usage_and_documents(asked: dict[str, str]) -> None:
    result = runner.invoke(app, ["report", "--since", "1d", "--json"], env=asked)

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (gap,) = data["gaps"]
    assert gap["name"] in PARKING
    assert (gap["size"], gap["trend"], gap["unanswered"]) == (3, 3, 3)
    assert data["usage"]["questions"] == 4
    assert data["usage"]["per_platform"] == {"cli": 4}
    assert data["usage"]["answered_share"] == 0.25
    assert data["documents"]["most_cited"][0]["citations"] >= 1


def test_report_on_the_terminal_shows_the_gap_and_the_figures(asked: dict[str, str]) -> None:
    result = runner.invoke(app, ["report"], env=asked)

    assert result.exit_code == 0, result.output
    assert "Knowledge gaps" in result.stdout
    assert "4 questions (4 cli), 25% answered" in result.stdout
    assert "park" in result.stdout  # the gap's name (wrapped to the terminal's width)
    assert "+3" in result.stdout  # its trend: none of it the week before


def test_report_html_is_one_file_with_nothing_to_fetch(
    asked: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "report.html"

    result = runner.invoke(app, ["report", "--html", str(out)], env=asked)

    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert html.startswith("<!doctype html>")
    assert "<svg" in html
    assert any(q.replace("'", "&#39;") in html for q in PARKING)
    assert "<script" not in html
    assert 'src="http' not in html
    assert 'rel="stylesheet"' not in html


@pytest.mark.parametrize("since", ["7", "d", "-1d", "soon"])
def test_a_period_that_is_not_a_duration_is_refused_with_how_to_write_one(
    since: str, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["report", "--since", since])

    assert result.exit_code == 2
    assert "e.g. 7d" in result.output
