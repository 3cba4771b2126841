"""The `deskmate` command line (`app`): indexing, answers, status, evaluation, serving, and the
tone model's tooling, with terminal rendering of their results."""

from adapters.cli.app import app

__all__ = ["app"]
