"""The report as plain JSON-ready data (`deskmate report --json`, `/admin/api/report`)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from bot.insights.report import Report


def report_data(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = _plain(asdict(report))
    data["gaps"] = [
        g | {"trend": gap.trend} for g, gap in zip(data["gaps"], report.gaps, strict=True)
    ]
    data["feedback"]["ratio"] = report.feedback.ratio
    data["usage"] |= {
        "questions": report.usage.questions,
        "answered": report.usage.answered,
        "answered_share": report.usage.answered_share,
        "per_platform": report.usage.per_platform(),
    }
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
