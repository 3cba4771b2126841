"""Personal data out of training examples: e-mail addresses and phone numbers."""

from __future__ import annotations

import re

EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){1,4}(?![\w-])"
)
EMAIL_PLACEHOLDER = "[email address]"
PHONE_PLACEHOLDER = "[phone number]"


def scrub(text: str) -> tuple[str, int]:
    """`text` without e-mail addresses and phone numbers, and how many were replaced."""
    text, emails = EMAIL.subn(EMAIL_PLACEHOLDER, text)
    count = 0

    def phone(match: re.Match[str]) -> str:
        nonlocal count
        if sum(c.isdigit() for c in match.group(0)) < 7 or _looks_like_date(match.group(0)):
            return match.group(0)
        count += 1
        return PHONE_PLACEHOLDER

    return PHONE.sub(phone, text), emails + count


def _looks_like_date(text: str) -> bool:
    return (
        re.fullmatch(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}", text)
        is not None
    )
