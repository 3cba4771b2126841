"""Parse workers: a few processes that run parse jobs while the embedder works.

A worker that takes longer than `DESKMATE_PARSE_TIMEOUT` on a file is killed; one that dies
(a crash inside a C parser, the address-space limit) is replaced. Either way only the file it
was reading fails, with a reason that says which limit it hit.

Each worker is `python -m indexer.workers`, talking in length-prefixed pickles over its stdin
and stdout (its own stdout is moved to stderr, so nothing a library prints can corrupt them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import resource
import signal
import sys
from types import TracebackType
from typing import IO, Any

from bot.errors import DeskmateError
from indexer.jobs import execute, failed
from indexer.limits import Limits
from indexer.records import Job, JobResult

log = logging.getLogger(__name__)

START_TIMEOUT = 60.0  # seconds a new worker may take to import the parsers
_READY = "ready"
_HEADER = 8


class WorkerDied(Exception):
    """The worker process exited while reading a file."""


class ParsePool:
    """Up to `limits.parse_workers` parse processes, started as needed, reused across jobs."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._slots = asyncio.Semaphore(limits.parse_workers)
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()

    async def __aenter__(self) -> ParsePool:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def run(self, job: Job) -> JobResult:
        """`job`'s result from a worker; a timeout or a dead worker is the job's error."""
        async with self._slots:
            worker = self._idle.pop() if self._idle else await self._start()
            try:
                result = await worker.run(job, self._limits.parse_timeout)
            except TimeoutError:
                await self._discard(worker)
                return failed(job, _timed_out(self._limits.parse_timeout))
            except WorkerDied:
                code = await self._discard(worker, exited=True)
                return failed(job, f"the parser process died while reading it (exit code {code})")
            except BaseException:
                await self._discard(worker)
                raise
            self._idle.append(worker)
            return result

    async def close(self) -> None:
        for worker in list(self._all):
            await self._discard(worker)
        self._idle.clear()

    async def _start(self) -> _Worker:
        worker = await _Worker.start(self._limits)
        self._all.add(worker)
        return worker

    async def _discard(self, worker: _Worker, *, exited: bool = False) -> int | None:
        self._all.discard(worker)
        return await worker.stop(exited=exited)


EXIT_WAIT_S = 5.0  # how long a worker whose pipe closed may take to be seen exiting


def _timed_out(seconds: float) -> str:
    return f"took longer than {seconds:g} s to parse (DESKMATE_PARSE_TIMEOUT); stopped"


class _Worker:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        if process.stdin is None or process.stdout is None:
            raise WorkerDied("a parse worker has no pipes")
        self._process = process
        self._requests = process.stdin
        self._replies = process.stdout

    @classmethod
    async def start(cls, limits: Limits) -> _Worker:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "indexer.workers",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        worker = cls(process)
        try:
            await worker._send(limits)
            ready = await asyncio.wait_for(worker._receive(), START_TIMEOUT)
        except (WorkerDied, TimeoutError):
            ready = None
        except BaseException:
            await worker.stop()
            raise
        if ready != _READY:
            code = await worker.stop(exited=ready is None)
            raise DeskmateError(
                f"a parse worker (`{sys.executable} -m indexer.workers`) did not start "
                f"(exit code {code}); check that Deskmate is installed in that interpreter"
            )
        return worker

    async def run(self, job: Job, timeout: float) -> JobResult:
        await self._send(job)
        result = await asyncio.wait_for(self._receive(), timeout)
        if not isinstance(result, JobResult):
            raise WorkerDied(f"unexpected reply {type(result).__name__}")
        return result

    async def stop(self, *, exited: bool = False) -> int | None:
        """Kill the process (if it still runs) and return its exit code.

        A worker that `exited` (its pipe closed) is first given a moment to be reaped by the
        child watcher: killing it at once would make the subprocess module poll, and reap,
        the dead child itself, and asyncio would then report exit code 255, not the real one.
        """
        if exited:
            with contextlib.suppress(TimeoutError):
                return await asyncio.wait_for(asyncio.shield(self._process.wait()), EXIT_WAIT_S)
        with contextlib.suppress(ProcessLookupError):
            self._process.kill()
        return await self._process.wait()

    async def _send(self, message: object) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self._requests.write(len(data).to_bytes(_HEADER, "big") + data)
            await self._requests.drain()
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise WorkerDied("the worker's input is closed") from exc

    async def _receive(self) -> Any:
        try:
            size = int.from_bytes(await self._replies.readexactly(_HEADER), "big")
            data = await self._replies.readexactly(size)
        except asyncio.IncompleteReadError as exc:
            raise WorkerDied("the worker exited") from exc
        return pickle.loads(data)  # noqa: S301 - our own child process, over a private pipe


def _serve() -> None:
    """The worker's loop: read the limits, then a job at a time until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    requests = sys.stdin.buffer
    limits = _read(requests)
    if not isinstance(limits, Limits):
        return
    if limits.parse_memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (limits.parse_memory_bytes,) * 2)
    _write(replies, _READY)
    while (job := _read(requests)) is not None:
        _write(replies, execute(job, limits))


def _read(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER)
    if len(header) < _HEADER:
        return None
    return pickle.loads(stream.read(int.from_bytes(header, "big")))  # noqa: S301 - from our parent


def _write(stream: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(_HEADER, "big") + data)
    stream.flush()


if __name__ == "__main__":
    _serve()
