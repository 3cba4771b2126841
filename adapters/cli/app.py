"""The `deskmate` command line: index, ask, status, demo, serve.

Errors stop here: one line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from adapters.cli.terminal import (
    RichProgress,
    print_answer,
    print_evaluation,
    print_status,
    print_summary,
    print_syncs,
)
from adapters.cli.tone import tone_app
from adapters.logs import configure_logging
from adapters.runtime import Runtime, open_runtime
from adapters.settings import AppSettings
from bot import texts
from bot.errors import DeskmateError, ReindexRunning, UnusableQuestion
from bot.models import EVERYONE, Answer, Asker, Question
from evaluation.answers import Summary
from indexer.limits import Limits
from indexer.records import Source
from indexer.sources import ad_hoc_source

app = typer.Typer(
    help="Deskmate: answers from your Confluence and HR exports, with sources.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True, soft_wrap=True)  # one-line errors stay one line
log = logging.getLogger("deskmate")
T = TypeVar("T")


def _print_version(value: bool) -> None:
    if value:
        console.print(f"deskmate {package_version('deskmate')}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Show the version and exit"
        ),
    ] = False,
) -> None:
    """Deskmate: answers from your Confluence and HR exports, with sources."""


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEMO_QUESTIONS = (
    "How many vacation days do I get per year?",
    "What is the ESPP discount?",
    "How do I connect to the VPN from home?",
)


def _settings(*, quiet: bool = True, **overrides: Any) -> AppSettings:
    try:
        settings = AppSettings(**overrides)
    except Exception as exc:
        err.print(f"[red]error:[/] invalid configuration: {exc}")
        raise typer.Exit(2) from None
    configure_logging(settings.serve, quiet=quiet)
    return settings


def _run(settings: AppSettings, job: Callable[[Runtime], Awaitable[T]]) -> T:
    async def main() -> T:
        async with open_runtime(settings) as runtime:
            return await job(runtime)

    try:
        return asyncio.run(main())
    except ReindexRunning as exc:
        err.print(f"[yellow]{exc}[/]; try again when it has finished")
        raise typer.Exit(3) from None
    except DeskmateError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


@app.command()
def index(
    paths: Annotated[list[Path] | None, typer.Argument(help="Folders or .zip exports")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Only these configured sources")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON")] = False,
) -> None:
    """Index the sources in sources.yaml, or the folders / .zip files given."""
    settings = _settings()
    sources = _ad_hoc_sources(settings, paths) if paths else []

    async def job(runtime: Runtime) -> None:
        progress = None if as_json or not sys.stderr.isatty() else RichProgress(err)
        if sources:
            summary = await runtime.index_folders(sources, "cli", progress)
        else:
            summary = await runtime.reindex("cli", source, progress)
        if progress:
            progress.stop()
        if as_json:
            data = summary.counts() | {
                "run_id": summary.run_id,
                "errors": [e.__dict__ for e in summary.errors],
                "skipped_files": [e.__dict__ for e in summary.skipped_files],
            }
            console.print_json(json.dumps(data))
        else:
            print_summary(console, summary)

    _run(settings, job)


def _ad_hoc_sources(settings: AppSettings, paths: list[Path]) -> list[Source]:
    """Sources for the folders and zips given; a zip over a limit is refused before any work."""
    extract = settings.store.data_dir / "extracted"
    try:
        return [ad_hoc_source(p, extract, Limits.from_settings(settings.indexing)) for p in paths]
    except DeskmateError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question to answer")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON")] = False,
    k: Annotated[int | None, typer.Option("--k", min=1, max=50, help="Passages to use")] = None,
    user: Annotated[
        str | None, typer.Option("--as", help="Answer as this user id or e-mail")
    ] = None,
) -> None:
    """Answer a question from the knowledge base, with its sources."""
    if not question.strip():
        err.print("[red]error:[/] the question is empty")
        raise typer.Exit(2)
    settings = _settings(top_k=k) if k else _settings()

    async def job(runtime: Runtime) -> None:
        runtime.require_current_embeddings()
        asker = Asker(user_id=user or "cli", email=user if user and "@" in user else None)
        groups = runtime.directory.groups_of(asker) if user else frozenset({EVERYONE})
        try:
            answer = await runtime.engine.answer(Question(question, asker, groups, groups))
        except UnusableQuestion as unusable:
            err.print(texts.unusable_question(unusable, settings.retrieval.max_question_chars))
            raise typer.Exit(2) from None
        if as_json:
            console.print_json(json.dumps(answer_json(answer)))
        else:
            print_answer(console, question, answer)

    _run(settings, job)


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "answer": answer.text,
        "answered": answer.answered,
        "grounded": answer.grounded,
        "note": answer.note,
        "sources": [
            {
                "title": c.title,
                "url": c.url,
                "path": c.path,
                "source": c.source,
                "score": round(c.score, 4),
                "pages": list(c.pages),
                "updated_at": c.updated_at.isoformat() if c.updated_at else None,
            }
            for c in answer.citations
        ],
    }


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON")] = False,
) -> None:
    """Documents and chunks per source, and the last index runs."""
    settings = _settings()

    async def job(runtime: Runtime) -> None:
        stats = await runtime.store.stats()
        runs = await runtime.store.runs.recent(3)
        syncs = await runtime.store.sync.states()
        planned = next_reindex(settings)
        if as_json:
            data = {
                "next_reindex": planned.isoformat() if planned else None,
                "syncs": [
                    {
                        "source": s.source,
                        "last_success_at": s.last_success_at.isoformat()
                        if s.last_success_at
                        else None,
                        "interrupted": s.checkpoint is not None,
                        **s.figures,
                    }
                    for s in syncs
                ],
                "sources": [
                    {"source": s.source, "documents": s.documents, "chunks": s.chunks}
                    for s in stats
                ],
                "runs": [
                    {
                        "id": r.id,
                        "trigger": r.trigger,
                        "status": r.status,
                        "started_at": r.started_at.isoformat(),
                        "duration_s": r.duration_s,
                        "counts": r.counts,
                        "errors": r.errors,
                    }
                    for r in runs
                ],
            }
            console.print_json(json.dumps(data))
        else:
            print_status(console, stats, runs)
            print_syncs(console, syncs, planned)
            console.print(
                f"Next scheduled re-index: {planned:%Y-%m-%d %H:%M %Z}" if planned else ""
            )

    _run(settings, job)


SINCE_UNITS = {"h": 1 / 24, "d": 1.0, "w": 7.0}


def since_days(value: str) -> float:
    """`7d`, `24h` or `2w` as days; anything else is refused with what to write."""
    number, unit = value[:-1], value[-1:].lower()
    try:
        days = float(number) * SINCE_UNITS[unit]
    except (KeyError, ValueError):
        raise typer.BadParameter("write a number and h, d or w, e.g. 7d, 24h or 2w") from None
    if days <= 0:
        raise typer.BadParameter("the period must be longer than nothing, e.g. 7d")
    return days


@app.command()
def report(
    since: Annotated[
        str, typer.Option("--since", help="The period to report on: 24h, 7d, 4w")
    ] = "7d",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML report here")
    ] = None,
) -> None:
    """Knowledge gaps, feedback, documents and usage over a period."""
    from adapters.cli.report_view import print_report
    from adapters.console.rendering import report_html
    from bot.insights import Period, build_report
    from bot.insights.export import report_data

    days = since_days(since)
    settings = _settings()

    async def job(runtime: Runtime) -> None:
        runtime.require_current_embeddings()
        found = await build_report(
            runtime.store, runtime.embedder, runtime.contacts, Period.last(days)
        )
        if html is not None:
            html.write_text(report_html(found), encoding="utf-8")
            err.print(f"wrote {html}")
        if as_json:
            console.print_json(json.dumps(report_data(found)))
        elif html is None:
            print_report(console, found)

    _run(settings, job)


def next_reindex(settings: AppSettings) -> datetime | None:
    """When `deskmate serve` will next re-index, from DESKMATE_REINDEX_CRON."""
    from indexer.scheduler import cron_trigger

    trigger = cron_trigger(settings.serve.reindex_cron, settings.serve.timezone)
    planned: datetime | None = trigger.get_next_fire_time(None, datetime.now(trigger.timezone))
    return planned


@app.command("eval")
def evaluate_questions(
    questions: Annotated[Path, typer.Argument(help="JSONL file of questions")],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="Documents for recall@k")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON")] = False,
    report: Annotated[Path | None, typer.Option(help="Write an HTML report here")] = None,
    min_recall: Annotated[float | None, typer.Option(help="Fail below this recall@k")] = None,
    min_mrr: Annotated[float | None, typer.Option(help="Fail below this MRR")] = None,
    min_refusal: Annotated[
        float | None, typer.Option(help="Fail below this refusal accuracy")
    ] = None,
    max_leaks: Annotated[int, typer.Option(help="Fail above this many access leaks")] = 0,
) -> None:
    """Score answer quality on a question file; exits 1 when a threshold is missed."""
    from adapters.cli.evaluation import evaluate
    from adapters.cli.evaluation_report import render
    from evaluation.answers import load_cases

    settings = _settings()
    try:
        cases = load_cases(questions)
    except DeskmateError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None

    async def job(runtime: Runtime) -> Any:
        runtime.require_current_embeddings()
        return await evaluate(runtime, cases, k)

    summary = _run(settings, job)
    figures = summary.as_dict()
    if report:
        report.write_text(render(summary, k), encoding="utf-8")
    if as_json:
        console.print_json(json.dumps({"summary": figures, "questions": _eval_rows(summary)}))
    else:
        print_evaluation(console, summary, k)
    missed = _missed(summary, min_recall, min_mrr, min_refusal, max_leaks)
    if missed:
        err.print("[red]threshold missed:[/] " + "; ".join(missed))
        raise typer.Exit(1)


def _eval_rows(summary: Summary) -> list[dict[str, Any]]:
    return [
        {
            "question": o.case.question,
            "asker": o.case.asker,
            "recall": o.recall,
            "reciprocal_rank": o.reciprocal_rank,
            "answered": o.answered,
            "leaks": list(o.leaks),
            "latency_ms": round(o.latency_ms, 1),
        }
        for o in summary.outcomes
    ]


def _missed(
    summary: Summary,
    min_recall: float | None,
    min_mrr: float | None,
    min_refusal: float | None,
    max_leaks: int,
) -> list[str]:
    """The thresholds given on the command line that this evaluation misses."""
    missed = [
        f"{name} {value or 0.0:.3f} < {floor}"
        for name, value, floor in (
            ("recall", summary.recall, min_recall),
            ("mrr", summary.mrr, min_mrr),
            ("refusal accuracy", summary.refusal_accuracy, min_refusal),
        )
        if floor is not None and (value or 0.0) < floor
    ]
    if summary.leaks > max_leaks:
        missed.append(f"access leaks {summary.leaks} > {max_leaks}")
    return missed


@app.command()
def demo() -> None:
    """Index the sample knowledge base in examples/ and answer three sample questions."""
    settings = _settings(
        sources_file=EXAMPLES / "sources.yaml", groups_file=EXAMPLES / "groups.yaml"
    )

    async def job(runtime: Runtime) -> None:
        console.rule("[bold]Indexing the sample knowledge base (examples/kb)")
        summary = await runtime.reindex("demo")
        print_summary(console, summary)
        asker = Asker("demo-user")
        everyone = frozenset({EVERYONE})
        for text in DEMO_QUESTIONS:
            console.rule(f"[bold]{text}")
            answer = await runtime.engine.answer(Question(text, asker, everyone, everyone))
            print_answer(console, text, answer)

    _run(settings, job)


@app.command()
def serve(
    port: Annotated[int | None, typer.Option(help="Port (default DESKMATE_PORT)")] = None,
) -> None:
    """Serve Slack (/slack/events), Teams (/api/messages), health and metrics."""
    from adapters.server import run_server

    settings = _settings(quiet=False, **({"port": port} if port else {}))
    try:
        asyncio.run(run_server(settings))
    except DeskmateError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None


@app.command("prepare-model")
def prepare_model(
    model_dir: Annotated[
        Path | None,
        typer.Option(help="Where to keep it (default DESKMATE_MODEL_DIR or <data dir>/models)"),
    ] = None,
    fp32: Annotated[bool, typer.Option("--fp32", help="Also the unquantised model")] = False,
) -> None:
    """Export the packaged embedding model to ONNX int8 once (needs deskmate[torch])."""
    from bot.onnx_export import prepare

    settings = _settings()
    cache = model_dir or settings.model_cache
    try:
        for variant in ("int8", "fp32") if fp32 else ("int8",):
            console.print(f"ONNX {variant} model: {prepare(cache, variant)}")
    except DeskmateError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None


@app.command("teams-package")
def teams_package(
    output: Annotated[Path, typer.Option(help="Where to write the zip")] = Path(
        "deskmate-teams.zip"
    ),
    app_id: Annotated[
        str | None, typer.Option(help="The bot's Microsoft App ID (default MICROSOFT_APP_ID)")
    ] = None,
    website_url: Annotated[
        str, typer.Option(help="Your page about Deskmate (https)")
    ] = "https://example.com/deskmate",
) -> None:
    """Build the Teams app package (manifest.json and icons) to upload to Teams."""
    from adapters.teams.package import build_package

    bot_id = app_id or _settings().teams.app_id
    if not bot_id:
        err.print("[red]error:[/] no app id: set MICROSOFT_APP_ID or pass --app-id")
        raise typer.Exit(2)
    try:
        build_package(bot_id, output, website_url=website_url)
    except DeskmateError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    console.print(f"Wrote {output}; upload it in Teams: Apps > Manage your apps > Upload an app.")


app.add_typer(tone_app, name="tone")


def main() -> None:  # pragma: no cover - console script entry
    app()
