"""`deskmate tone eval`: held-out examples through draft -> phrase, scored by the fact guard.

Rewrite examples already hold their draft; question + context examples are drafted by the chat
model first, as at answer time, once, so that two tone models compared side by side phrase the
very same drafts. The report gives the fact guard's pass rate, how much longer or shorter the
tone model's phrasing is than the draft, and how many phrasings already keep the house style
(tone.yaml's glossary, banned phrases, emoji and length rules would change nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.prompts import ANSWER_SYSTEM, NO_ANSWER
from bot.tone.phraser import Phraser, TextModel
from bot.tone.prompts import DIRECT_SYSTEM, TONE_SYSTEM, from_rewrite_user_message
from bot.tone.style import HouseStyle
from training.tone.validation import Messages


@dataclass(frozen=True)
class EvalCase:
    where: str
    passed: bool
    draft_chars: int
    phrased_chars: int
    detail: str
    style_kept: bool = True


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

    @property
    def style_kept(self) -> int:
        return sum(1 for c in self.cases if c.style_kept)


@dataclass(frozen=True)
class Draft:
    where: str
    question: str
    text: str


async def evaluate(
    examples: Sequence[tuple[str, Messages]],
    phraser: Phraser,
    drafter: TextModel | None,
    style: HouseStyle | None = None,
) -> EvalReport:
    """Phrase each (where, messages) example's draft and check it with the fact guard."""
    drafts, skipped = await prepare(examples, drafter)
    return await score(drafts, skipped, phraser, style)


async def prepare(
    examples: Sequence[tuple[str, Messages]], drafter: TextModel | None
) -> tuple[list[Draft], tuple[str, ...]]:
    """The draft of each example, and why each one that has none was skipped."""
    drafts, skipped = [], []
    for where, messages in examples:
        task = await _draft(messages, drafter)
        if isinstance(task, str):
            skipped.append(f"{where}: {task}")
        else:
            drafts.append(Draft(where, *task))
    return drafts, tuple(skipped)


async def score(
    drafts: Sequence[Draft],
    skipped: tuple[str, ...],
    phraser: Phraser,
    style: HouseStyle | None = None,
) -> EvalReport:
    """One tone model's phrasing of each draft, checked by the fact guard and the house style."""
    body_rules = (style or HouseStyle()).model_copy(update={"greeting": "", "sign_off": ""})
    cases = []
    for draft in drafts:
        phrasing = await phraser.rewrite(draft.question, draft.text)
        kept = phrasing.phrased or not phrasing.check.ok
        detail = phrasing.check.describe() if kept else f"no phrasing ({phrasing.reason})"
        candidate = phrasing.candidate.strip()
        styled = bool(candidate) and body_rules.apply(candidate) == candidate
        cases.append(
            EvalCase(draft.where, phrasing.phrased, len(draft.text), len(candidate), detail, styled)
        )
    return EvalReport(tuple(cases), skipped)


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
