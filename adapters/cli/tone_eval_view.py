"""How `deskmate tone eval` shows its results: one tone model, or two side by side."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from training.tone.evaluation import EvalCase, EvalReport


def eval_json(report: EvalReport, model: str) -> dict[str, Any]:
    return {
        "model": model,
        "examples": len(report.cases),
        "passed": report.passed,
        "pass_rate": round(report.pass_rate, 4),
        "length_change": round(report.length_change, 4),
        "style_kept": report.style_kept,
        "failures": [{"where": c.where, "detail": c.detail} for c in report.cases if not c.passed],
        "skipped": list(report.skipped),
    }


def comparison_json(reports: Sequence[tuple[str, EvalReport]]) -> dict[str, Any]:
    """Both models' summaries, and each held-out example's result under each model."""
    first = reports[0][1]
    return {
        "examples": len(first.cases),
        "skipped": list(first.skipped),
        "models": [eval_json(report, model) for model, report in reports],
        "cases": [
            {
                "where": case.where,
                "results": [_case_json(model, report.cases[n]) for model, report in reports],
            }
            for n, case in enumerate(first.cases)
        ],
    }


def print_eval(console: Console, report: EvalReport, model: str) -> None:
    total = len(report.cases)
    console.print(f"Evaluated {total} held-out examples with {escape(model)}")
    console.print(f"Fact guard: {report.passed}/{total} passed ({report.pass_rate:.0%})")
    console.print(f"Length change: {report.length_change:+.0%} on average (phrased vs draft)")
    console.print(f"House style kept: {report.style_kept}/{total} phrasings")
    for case in report.cases:
        if not case.passed:
            console.print(f"  [red]✗[/] {case.where}: {escape(case.detail)}")
    _print_skipped(console, report)


def print_comparison(console: Console, reports: Sequence[tuple[str, EvalReport]]) -> None:
    first = reports[0][1]
    total = len(first.cases)
    console.print(f"Compared on {total} held-out examples; both models phrased the same drafts")
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("")
    for model, _ in reports:
        table.add_column(escape(model), overflow="fold")
    table.add_row("Fact guard", *(f"{r.passed}/{total} ({r.pass_rate:.0%})" for _, r in reports))
    table.add_row("Length change", *(f"{r.length_change:+.0%}" for _, r in reports))
    table.add_row("House style kept", *(f"{r.style_kept}/{total}" for _, r in reports))
    for n, case in enumerate(first.cases):
        table.add_row(case.where, *(_mark(r.cases[n]) for _, r in reports))
    console.print(table)
    _print_skipped(console, first)


def _case_json(model: str, case: EvalCase) -> dict[str, Any]:
    return {
        "model": model,
        "passed": case.passed,
        "detail": case.detail,
        "style_kept": case.style_kept,
        "phrased_chars": case.phrased_chars,
    }


def _mark(case: EvalCase) -> str:
    return "[green]✓[/]" if case.passed else f"[red]✗[/] {escape(case.detail)}"


def _print_skipped(console: Console, report: EvalReport) -> None:
    for skipped in report.skipped:
        console.print(f"  [dim]– skipped {escape(skipped)}[/]")
