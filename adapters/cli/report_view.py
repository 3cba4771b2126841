"""`deskmate report` on the terminal: the insights report as rich tables."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from bot.insights import Report


def _share(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "-"


def _ms(value: float | None) -> str:
    return f"{value:.0f} ms" if value is not None else "-"


def print_report(console: Console, report: Report) -> None:
    period = report.period
    console.print(
        f"[bold]Deskmate insights[/] {period.since:%Y-%m-%d %H:%M} - "
        f"{period.until:%Y-%m-%d %H:%M} UTC"
    )
    usage = report.usage
    platforms = ", ".join(f"{n} {p}" for p, n in usage.per_platform().items()) or "none"
    console.print(
        f"{usage.questions} questions ({platforms}), {_share(usage.answered_share)} answered, "
        f"answer time p50 {_ms(usage.p50_ms)}, p95 {_ms(usage.p95_ms)}"
    )
    _gaps(console, report)
    _feedback(console, report)
    _documents(console, report)


def _gaps(console: Console, report: Report) -> None:
    table = Table(title="Knowledge gaps", title_justify="left")
    for column in ("Questions", "Size", "Trend", "Unanswered", "👎", "Closest documents", "Owner"):
        table.add_column(column)
    for gap in report.gaps:
        examples = "\n".join(f"[dim]- {e}[/]" for e in gap.examples if e != gap.name)
        table.add_row(
            f"[bold]{gap.name}[/]" + (f"\n{examples}" if examples else ""),
            str(gap.size),
            f"{gap.trend:+d}",
            str(gap.unanswered),
            str(gap.disliked),
            "\n".join(d.title for d in gap.documents) or "-",
            gap.owner or "-",
        )
    console.print(table if report.gaps else "No knowledge gaps in this period.")


def _feedback(console: Console, report: Report) -> None:
    feedback = report.feedback
    console.print(f"Feedback: {feedback.up} 👍, {feedback.down} 👎 ({_share(feedback.ratio)} 👍)")
    if feedback.per_source:
        table = Table(title="Feedback per source", title_justify="left")
        for column in ("Source", "👍", "👎"):
            table.add_column(column)
        for row in feedback.per_source:
            table.add_row(row.key, str(row.up), str(row.down))
        console.print(table)
    for comment in feedback.comments:
        console.print(f"👎 [italic]{comment.comment}[/] [dim]on “{comment.question}”[/]")


def _documents(console: Console, report: Report) -> None:
    documents = report.documents
    table = Table(title="Most cited documents", title_justify="left")
    for column in ("Document", "Source", "Citations", "Updated"):
        table.add_column(column)
    for d in documents.most_cited:
        updated = f"{d.updated_at:%Y-%m-%d}" if d.updated_at else "-"
        stale = " [yellow](stale)[/]" if d in documents.stale else ""
        table.add_row(d.title, d.source, str(d.citations), updated + stale)
    console.print(table if documents.most_cited else "No document was cited in this period.")
    console.print(f"{len(documents.never_cited)} documents were never cited.")
    for failure in documents.failing:
        console.print(f"[red]failing[/] {failure.path}: {failure.reason} (run {failure.run_id})")
