"""The weekly digest to the admins: the week's top knowledge gaps with their counts and
suggested owners, and the week's 👎 comments, as text both platforms show as it is."""

from __future__ import annotations

from bot import texts
from bot.insights import Report

TOP_GAPS = 5
TOP_COMMENTS = 5


def digest_text(report: Report) -> str:
    feedback = report.feedback
    lines = [
        texts.DIGEST_TITLE.format(
            questions=report.usage.questions,
            answered=f"{report.usage.answered_share:.0%}"
            if report.usage.answered_share is not None
            else "-",
            up=feedback.up,
            down=feedback.down,
        )
    ]
    if report.gaps:
        lines.append(texts.DIGEST_GAPS)
        lines += [
            texts.DIGEST_GAP.format(
                name=gap.name,
                size=gap.size,
                trend=f"{gap.trend:+d}",
                owner=gap.owner or texts.DIGEST_NO_OWNER,
            )
            for gap in report.gaps[:TOP_GAPS]
        ]
    else:
        lines.append(texts.DIGEST_NO_GAPS)
    if feedback.comments:
        lines.append(texts.DIGEST_COMMENTS)
        lines += [
            texts.DIGEST_COMMENT.format(comment=c.comment, question=c.question)
            for c in feedback.comments[:TOP_COMMENTS]
        ]
    return "\n".join(lines)
