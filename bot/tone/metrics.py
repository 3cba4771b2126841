"""The tone stage's metrics: how often phrasing was thrown away, and why."""

from __future__ import annotations

from prometheus_client import Counter

FALLBACKS = Counter(
    "deskmate_tone_fallbacks_total",
    "Answers sent without the tone model's phrasing, by mode and reason "
    "(lost_fact, invented_fact, error, empty).",
    ["mode", "reason"],
)
PHRASED = Counter(
    "deskmate_tone_phrased_total",
    "Answers sent as phrased by the tone model, by mode.",
    ["mode"],
)
