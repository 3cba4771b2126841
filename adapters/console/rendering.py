"""The console's templates (Jinja2, autoescaped) and the helpers they call: one environment
for the web pages and the self-contained HTML report of `deskmate report --html`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import jinja2
from markupsafe import Markup

from adapters.console.charts import Bar, bar_chart
from bot.insights import Report


def share(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "-"


def ms(value: float | None) -> str:
    return f"{value:.0f} ms" if value is not None else "-"


def when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "-"


HELPERS: dict[str, Any] = {"share": share, "ms": ms, "when": when}


def environment(loader: jinja2.BaseLoader | None = None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=loader or jinja2.PackageLoader("adapters.console", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(HELPERS)
    return env


def charts(report: Report) -> dict[str, Markup]:
    """Questions per day (answered / unanswered) and ratings per day (👍 / 👎)."""
    days: dict[str, list[int]] = {}
    for usage in report.usage.per_day:
        day = days.setdefault(f"{usage.day:%m-%d}", [0, 0])
        day[0] += usage.answered
        day[1] += usage.questions - usage.answered
    questions = [
        Bar(label, ((answered, "answered"), (unanswered, "unanswered")))
        for label, (answered, unanswered) in days.items()
    ]
    ratings = [Bar(r.key[5:], ((r.up, "up"), (r.down, "down"))) for r in report.feedback.per_day]
    return {
        "questions": bar_chart(questions, "Questions per day"),
        "ratings": bar_chart(ratings, "Ratings per day"),
    }


def report_context(report: Report) -> dict[str, Any]:
    days = round((report.period.until - report.period.since).total_seconds() / 86400)
    return {"report": report, "charts": charts(report), "days": days}


def report_html(report: Report) -> str:
    """The whole report as one HTML file: styles and charts inline, nothing to fetch."""
    return environment().get_template("report.html").render(report_context(report))
