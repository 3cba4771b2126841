"""Reference ids: the short id a user sees next to an error and the log shows with its detail."""

from __future__ import annotations

import uuid


def new_reference() -> str:
    return uuid.uuid4().hex[:8]
