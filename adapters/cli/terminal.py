"""Terminal rendering for the CLI: progress, run summaries, answers with sources, status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markdown import Markdown
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from adapters.chat.commands import COUNT_KEYS
from adapters.chat.views import SourceLine, view_of
from bot import texts
from bot.models import Answer
from bot.store import SourceStats
from bot.store.runs import IndexRun
from bot.store.sync import SyncState
from evaluation.answers import Summary

if TYPE_CHECKING:
    from indexer.pipeline import RunSummary


class RichProgress:
    """The indexer's progress on the terminal: one spinner line per source."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed} files"),
            TextColumn("[dim]{task.fields[path]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task: int | None = None
        self._progress.start()

    def start(self, source: str) -> None:
        self._task = int(self._progress.add_task(source, total=None, path=""))

    def advance(self, path: str) -> None:
        if self._task is not None:
            self._progress.update(self._task, advance=1, path=path[-50:])  # type: ignore[arg-type]

    def stop(self) -> None:
        self._progress.stop()


def print_summary(console: Console, summary: RunSummary) -> None:
    console.print(
        f"[bold]{summary.added}[/] added, [bold]{summary.updated}[/] updated, "
        f"[bold]{summary.unchanged}[/] unchanged, [bold]{summary.deleted}[/] deleted, "
        f"[bold {'red' if summary.failed else 'green'}]{summary.failed}[/] failed, "
        f"{summary.skipped} skipped; {summary.chunks} chunks "
        f"({summary.embedded} embedded, {summary.cached} from cache) in {summary.seconds:.1f}s"
        f" ({summary.chunks_per_second:.0f} chunks/s)"
    )
    for error in summary.errors:
        console.print(f"  [red]✗[/] {error.path}: {error.reason}")
    for skipped in summary.skipped_files:
        console.print(f"  [dim]– {skipped.path}: {skipped.reason}[/]")


def print_answer(console: Console, question: str, answer: Answer) -> None:
    view = view_of(answer)
    console.print(Markdown(view.text))
    if view.note:
        console.print(f"[yellow]{view.note}[/]")
    if view.sources:
        heading = texts.SOURCES if view.answered else texts.CLOSEST_SOURCES
        console.print(f"[bold]{heading}[/]")
        for source in view.sources:
            console.print(f"  [{source.number}] {describe(source)}", highlight=False)
    console.print()


def describe(source: SourceLine) -> str:
    where = source.url or f"{source.source}:{source.path}"
    line = source.title
    if source.pages:
        line += ", " + texts.PAGES.format(pages=", ".join(map(str, source.pages)))
    line += f" — {where}"
    if source.updated:
        line += " (" + texts.UPDATED.format(date=f"{source.updated:%Y-%m-%d}") + ")"
    return line


def print_status(console: Console, stats: Sequence[SourceStats], runs: Sequence[IndexRun]) -> None:
    table = Table("source", "documents", "chunks", "last indexed", title="Knowledge base")
    for s in stats:
        when = f"{s.last_indexed:%Y-%m-%d %H:%M}" if s.last_indexed else "-"
        table.add_row(s.source, str(s.documents), str(s.chunks), when)
    console.print(table)
    if not runs:
        console.print("No index run yet: run `deskmate index`.")
    for run in runs:
        took = f" in {run.duration_s:.1f}s" if run.duration_s is not None else ""
        console.print(
            f"run {run.id} ({run.trigger}) {run.status}{took}, started "
            f"{run.started_at:%Y-%m-%d %H:%M}: "
            + ", ".join(f"{k} {v}" for k, v in run.counts.items() if k in COUNT_KEYS)
        )
        for error in run.errors[:10]:
            console.print(f"  [red]✗[/] {error.get('path')}: {error.get('reason')}")


SYNC_KEYS = ("seen", "changed", "deleted", "failed", "permissions_changed")


def print_syncs(console: Console, syncs: Sequence[SyncState], planned: datetime | None) -> None:
    """Live sources: the last successful sync, what it saw and did, and the next run."""
    if not syncs:
        return
    table = Table(
        "source",
        "last successful sync",
        *(k.replace("_", " ") for k in SYNC_KEYS),
        "next run",
        title="Live sync",
    )
    for state in syncs:
        when = f"{state.last_success_at:%Y-%m-%d %H:%M}" if state.last_success_at else "never"
        if state.checkpoint:
            when += " (a sync was interrupted; the next resumes it)"
        figures = [str(state.figures.get(key, "-")) for key in SYNC_KEYS]
        table.add_row(state.source, when, *figures, f"{planned:%Y-%m-%d %H:%M}" if planned else "-")
    console.print(table)


def print_evaluation(console: Console, summary: Summary, k: int) -> None:
    table = Table("", "question", "recall", "RR", "answered", "leaks", "ms", title="Questions")
    for o in summary.outcomes:
        ok = (o.case.answerable == o.answered) and not o.leaks
        table.add_row(
            "[green]✓[/]" if ok else "[red]✗[/]",
            o.case.question[:60],
            "-" if o.recall is None else f"{o.recall:.2f}",
            "-" if o.reciprocal_rank is None else f"{o.reciprocal_rank:.2f}",
            "yes" if o.answered else "no",
            str(len(o.leaks)),
            f"{o.latency_ms:.0f}",
        )
    console.print(table)
    for name, value in summary.as_dict().items():
        shown = "-" if value is None else (f"{value:.3f}" if isinstance(value, float) else value)
        console.print(f"{name.replace('_at_k', f'@{k}')}: {shown}")
