"""Insights: what employees ask that the knowledge base does not answer, how answers are
rated, which documents are used, and how much Deskmate is asked. Read from the store only."""

from bot.insights.report import Gap, Period, Report, build_report

__all__ = ["Gap", "Period", "Report", "build_report"]
