"""`deskmate tone eval`: held-out examples through draft -> phrase, scored by the fact guard.

Rewrite examples already hold their draft; question + context examples are drafted by the chat
model first, as at answer time. The report gives the fact guard's pass rate and how much longer
or shorter the tone model's phrasing is than the draft.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.prompts import ANSWER_SYSTEM, NO_ANSWER
from bot.tone.phraser import Phraser, TextModel
from bot.tone.prompts import DIRECT_SYSTEM, TONE_SYSTEM, from_rewrite_user_message
from bot.tone.validation import Messages


@dataclass(frozen=True)
class EvalCase:
    where: str
    passed: bool
    draft_chars: int
    phrased_chars: int
    detail: str


@dataclass(frozen=True)
class EvalReport:
    cases: tuple[EvalCase, ...]
    skipped: tuple[str, ...]

    @property
    def passed(self) -> int:
        return sum(1 for c in self.cases if c.passed)

    @property
    def pass_rate(self) -> float:
        return self.passed / len(self.cases) if self.cases else 0.0

    @property
    def length_change(self) -> float:
        """Mean relative change in length, phrased vs draft (-0.1 = 10% shorter)."""
        sized = [c for c in self.cases if c.draft_chars and c.phrased_chars]
        if not sized:
            return 0.0
        return sum(c.phrased_chars / c.draft_chars - 1 for c in sized) / len(sized)


async def evaluate(
    examples: Sequence[tuple[str, Messages]], phraser: Phraser, drafter: TextModel | None
) -> EvalReport:
    """Phrase each (where, messages) example's draft and check it with the fact guard."""
    cases, skipped = [], []
    for where, messages in examples:
        task = await _draft(messages, drafter)
        if isinstance(task, str):
            skipped.append(f"{where}: {task}")
            continue
        question, draft = task
        phrasing = await phraser.rewrite(question, draft)
        kept = phrasing.phrased or not phrasing.check.ok
        detail = phrasing.check.describe() if kept else f"no phrasing ({phrasing.reason})"
        cases.append(EvalCase(where, phrasing.phrased, len(draft), len(phrasing.candidate), detail))
    return EvalReport(tuple(cases), tuple(skipped))


async def _draft(messages: Messages, drafter: TextModel | None) -> tuple[str, str] | str:
    """(question, draft) for one example, or why it cannot be evaluated."""
    system = next((str(m["content"]) for m in messages if m.get("role") == "system"), "")
    user = next((str(m["content"]) for m in messages if m.get("role") == "user"), "")
    if system == TONE_SYSTEM:
        parsed = from_rewrite_user_message(user)
        return parsed if parsed else "the rewrite prompt is not in Deskmate's format"
    if system != DIRECT_SYSTEM:
        return "not a Deskmate tone example (unknown system message)"
    if drafter is None:
        return "needs the chat model to draft from the context"
    try:
        draft = (await drafter.complete(ANSWER_SYSTEM, user)).strip()
    except Exception as exc:
        return f"the chat model failed to draft ({type(exc).__name__})"
    if not draft or draft == NO_ANSWER:
        return "the chat model found no answer in the context"
    question = user.rsplit("\n\nQuestion: ", 1)[-1].strip()
    return question, draft
