"""Prometheus metrics for `deskmate serve` (exposed at GET /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32)

QUESTIONS = Counter(
    "deskmate_questions_total",
    "Questions handled, by platform and outcome "
    "(answered, unanswered, unusable, rate_limited, error, unavailable).",
    ["platform", "outcome"],
)
RETRIEVE_SECONDS = Histogram(
    "deskmate_retrieve_seconds", "Time to retrieve passages.", buckets=LATENCY_BUCKETS
)
GENERATE_SECONDS = Histogram(
    "deskmate_generate_seconds", "Time to write the answer.", buckets=LATENCY_BUCKETS
)
ANSWER_SECONDS = Histogram(
    "deskmate_answer_seconds", "Total time to answer.", buckets=LATENCY_BUCKETS
)
FEEDBACK = Counter("deskmate_feedback_total", "Feedback received, by rating.", ["rating"])
INDEX_RUNS = Counter("deskmate_index_runs_total", "Index runs, by outcome.", ["outcome"])
INDEX_SECONDS = Histogram(
    "deskmate_index_run_seconds",
    "Duration of index runs.",
    buckets=(1, 5, 15, 60, 300, 900, 3600),
)
