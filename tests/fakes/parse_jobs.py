"""Parse jobs that misbehave the way real parsers do: crash, hang, exhaust memory.

They implement `indexer.records.Job` and are pickled to real parse workers by reference, so
they live in an importable module.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from indexer.records import JobResult


@dataclass(frozen=True)
class MisbehavingJob:
    path: str
    file: Path
    how: str  # "crash", "hang", "memory", "recursion", "library-error"
    keeps: tuple[str, ...] = ()

    def run(self) -> JobResult:
        if self.how == "crash":
            os._exit(70)  # what a segfault in a C parser looks like from outside
        if self.how == "hang":
            time.sleep(3600)
        if self.how == "memory":
            hog = [bytearray(256 * 1024 * 1024) for _ in range(64)]  # 16 GiB
            return JobResult(more=tuple(self for _ in hog[:0]))
        if self.how == "recursion":
            return self._recurse(0)
        raise KeyError("a library's own exception, not a LoadError")

    def _recurse(self, depth: int) -> JobResult:
        return self._recurse(depth + 1)
