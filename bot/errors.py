"""Errors raised inside Deskmate; only adapters, the CLI and the scheduler catch them."""

from typing import Literal


class DeskmateError(Exception):
    """Base class: the message is written for an operator and says what to do next."""


class ConfigError(DeskmateError):
    """The configuration cannot work as given."""


class StoreUnavailable(DeskmateError):
    """The knowledge base database cannot be reached."""


class LoadError(DeskmateError):
    """One file could not be read; the run skips it and goes on."""


class ReindexRunning(DeskmateError):
    """Another re-index holds the lock."""


class EmptyFile(LoadError):
    """A file with no text to index: skipped, not a failure."""


class UnusableQuestion(DeskmateError):
    """Nothing to answer: no words at all, or far more text than a question."""

    def __init__(self, kind: Literal["empty", "too_long"]) -> None:
        super().__init__(f"the question is {kind.replace('_', ' ')}")
        self.kind = kind
