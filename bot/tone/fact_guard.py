"""The fact guard: phrasing may change how an answer sounds, never what it states.

`facts(text)` extracts what must survive a rewrite: URLs, citation markers [n], dates, times,
amounts ($25,000, 300 EUR), percentages, plain numbers and "quoted names". `compare(draft,
phrased)` says which of the draft's facts the phrasing lost and which number-like facts it
invented. Values are normalised, so "$25,000" equals "USD 25000" and "2026-01-12" equals
"January 12, 2026"; wording around them is free.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

URL = re.compile(r"\bhttps?://[^\s<>()\[\]\"'`]+[^\s<>()\[\]\"'`.,;:!?]")
MARKER = re.compile(r"\[(\d{1,3})\]")
QUOTED = re.compile(r"\"([^\"\n]{1,80})\"|“([^”\n]{1,80})”")
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_CURRENCY = r"\$|€|£|USD|EUR|GBP|CHF|CAD|AUD"
AMOUNT = re.compile(
    rf"(?<![\w.])(?:(?P<pre>{_CURRENCY})\s?(?P<n1>{_NUMBER})(?P<k1>[kKmM]\b)?"
    rf"|(?P<n2>{_NUMBER})(?P<k2>[kKmM]\b)?\s?(?P<post>(?:USD|EUR|GBP|CHF|CAD|AUD)\b|€|£))"
)
PERCENT = re.compile(rf"(?<![\w.])({_NUMBER})\s?(?:%|percent\b|per cent\b)", re.IGNORECASE)
NUMBER = re.compile(rf"(?<![\w.])({_NUMBER})(?:st|nd|rd|th)?(?![\w])")
TIME = re.compile(r"(?<![\w.:])(\d{1,2}):(\d{2})(?:\s?([ap])\.?m\.?)?(?![\w:])", re.IGNORECASE)

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
DATES = (
    re.compile(r"(?<!\d)(?P<year>\d{4})-(?P<mm>\d{1,2})-(?P<day>\d{1,2})(?!\d)"),
    re.compile(
        rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{{4}}))?\b",
        re.IGNORECASE,
    ),
    re.compile(
        rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+(?P<year>\d{{4}}))?\b",
        re.IGNORECASE,
    ),
    re.compile(rf"\b{_MONTH}\s+(?P<year>\d{{4}})\b", re.IGNORECASE),
)
CURRENCY_CODES = {"$": "USD", "€": "EUR", "£": "GBP"}
NUMERIC_KINDS = frozenset({"date", "time", "amount", "percent", "number"})
INVENTION_KINDS = NUMERIC_KINDS | {"url", "marker"}


@dataclass(frozen=True)
class Fact:
    """One checkable fact: its kind, a normalised value to compare, and how it was written."""

    kind: str
    value: str
    text: str = field(compare=False)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class FactCheck:
    """What a rewrite did to the draft's facts."""

    lost: tuple[Fact, ...] = ()
    invented: tuple[Fact, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.lost and not self.invented

    def describe(self) -> str:
        parts = []
        if self.lost:
            parts.append("lost " + ", ".join(f.text for f in self.lost))
        if self.invented:
            parts.append("invented " + ", ".join(f.text for f in self.invented))
        return "; ".join(parts) or "all facts kept"


def facts(text: str) -> frozenset[Fact]:
    """Every fact in `text`; each span counts once (a date's digits are not also numbers)."""
    found: list[Fact] = []
    rest = _take(URL, text, found, lambda m: Fact("url", m.group(0).rstrip("/"), m.group(0)))
    rest = _take(MARKER, rest, found, lambda m: Fact("marker", m.group(1), m.group(0)))
    for quoted in QUOTED.finditer(rest):
        name = quoted.group(1) or quoted.group(2)
        found.append(Fact("quote", " ".join(name.split()).casefold(), name))
    for pattern in DATES:
        rest = _take(pattern, rest, found, _date)
    rest = _take(TIME, rest, found, _time)
    rest = _take(AMOUNT, rest, found, _amount)
    rest = _take(PERCENT, rest, found, lambda m: Fact("percent", _decimal(m.group(1)), m.group(0)))
    _take(NUMBER, rest, found, lambda m: Fact("number", _decimal(m.group(1)), m.group(1)))
    return frozenset(f for f in found if f.value)


def compare(draft: str, phrased: str) -> FactCheck:
    """Which of the draft's facts the phrasing lost, and which new numbers, links or markers
    it brought in. A quoted name may lose its quotes but must keep its exact words."""
    before, after = facts(draft), facts(phrased)
    folded = " ".join(phrased.split()).casefold()
    lost = [f for f in before if f not in after and not (f.kind == "quote" and f.value in folded)]
    return FactCheck(_ordered(lost, draft), _ordered(invented(draft, phrased), phrased))


def invented(source: str, text: str, kinds: Iterable[str] = INVENTION_KINDS) -> tuple[Fact, ...]:
    """Number-like facts, links and markers of `text` that `source` does not contain.

    A bare number counts as known when it appears anywhere in the source, e.g. as the year of
    a full date ("in 2026" after "2026-01-12")."""
    wanted = frozenset(kinds)
    known = facts(source)
    digits = {_decimal(d) for d in re.findall(r"\d+(?:\.\d+)?", source.replace(",", ""))}
    return tuple(
        f
        for f in facts(text)
        if f.kind in wanted and f not in known and not (f.kind == "number" and f.value in digits)
    )


def _take(
    pattern: re.Pattern[str],
    text: str,
    found: list[Fact],
    to_fact: Callable[[re.Match[str]], Fact | None],
) -> str:
    """Record a fact for every match and blank its span out of the text; a match that is no
    fact after all (`to_fact` gives None) stays for the next patterns."""

    def blank(match: re.Match[str]) -> str:
        fact = to_fact(match)
        if fact is None:
            return match.group(0)
        found.append(fact)
        return " " * len(match.group(0))

    return pattern.sub(blank, text)


def _date(match: re.Match[str]) -> Fact | None:
    parts = match.groupdict()
    if parts.get("month") == "may":  # the verb: "2 may be carried over"
        return None
    month = int(parts["mm"]) if parts.get("mm") else MONTHS.get(parts["month"].lower(), 0)
    day = int(parts["day"]) if parts.get("day") else 0
    if not 1 <= month <= 12 or day > 31:
        return None
    year = parts.get("year") or "-"
    value = f"{year}-{month:02d}" + (f"-{day:02d}" if day else "")
    return Fact("date", value, match.group(0))


def _time(match: re.Match[str]) -> Fact:
    hour, minute, half = int(match.group(1)), match.group(2), (match.group(3) or "").lower()
    if half == "p" and hour < 12:
        hour += 12
    elif half == "a" and hour == 12:
        hour = 0
    return Fact("time", f"{hour:02d}:{minute}", match.group(0))


def _amount(match: re.Match[str]) -> Fact:
    currency = match.group("pre") or match.group("post")
    number = match.group("n1") or match.group("n2")
    scale = (match.group("k1") or match.group("k2") or "").lower()
    value = Decimal(_decimal(number)) * {"k": 1000, "m": 1_000_000}.get(scale, 1)
    code = CURRENCY_CODES.get(currency, currency.upper())
    return Fact("amount", f"{code} {_decimal(str(value))}", match.group(0).strip())


def _decimal(number: str) -> str:
    try:
        value = Decimal(number.replace(",", "")).normalize()
    except InvalidOperation:
        return number
    return format(value, "f")


def _ordered(found: Iterable[Fact], text: str) -> tuple[Fact, ...]:
    """Facts in the order they appear in `text`, for readable logs and reports."""
    return tuple(sorted(set(found), key=lambda f: (_position(text, f.text), f.kind, f.value)))


def _position(text: str, needle: str) -> int:
    at = text.find(needle)
    return at if at >= 0 else len(text)
