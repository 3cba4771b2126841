"""The embedded PostgreSQL: started on demand, shared by every process using the same data dir,
stopped with the last of them, and robust to processes that die without cleaning up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
HOLD = """
import sys, time
from pathlib import Path
from bot.database import start_embedded
start_embedded(Path(sys.argv[1]))
print(Path(sys.argv[1], "postmaster.pid").read_text().split()[0], flush=True)
time.sleep(float(sys.argv[2]))
"""


def _start(pgdata: Path, hold_seconds: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", HOLD, str(pgdata), str(hold_seconds)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )


def _server_pid(process: subprocess.Popen[str]) -> int:
    assert process.stdout is not None
    return int(process.stdout.readline())


def _wait_gone(pid: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.2)
    return False


def test_processes_on_one_data_dir_share_one_server_stopped_by_the_last(tmp_path: Path) -> None:
    pgdata = tmp_path / "pg"
    first = _start(pgdata, 3)
    server = _server_pid(first)
    second = _start(pgdata, 6)

    assert _server_pid(second) == server
    first.wait(30)
    assert psutil.pid_exists(server)  # still used by the second process
    second.wait(30)
    assert _wait_gone(server)


def test_a_killed_client_does_not_leave_the_server_running_forever(tmp_path: Path) -> None:
    pgdata = tmp_path / "pg"
    victim = _start(pgdata, 60)
    server = _server_pid(victim)
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)

    successor = _start(pgdata, 0)

    assert _server_pid(successor) == server  # the orphaned server is reused...
    successor.wait(30)
    assert _wait_gone(server)  # ...and stopped when its last live user exits


def test_a_killed_server_leaves_a_stale_pid_file_that_the_next_start_handles(
    tmp_path: Path,
) -> None:
    pgdata = tmp_path / "pg"
    holder = _start(pgdata, 60)
    server = _server_pid(holder)
    os.kill(server, signal.SIGKILL)
    assert _wait_gone(server)
    holder.kill()
    holder.wait(10)
    assert (pgdata / "postmaster.pid").exists()

    restarted = _start(pgdata, 0)

    new_server = _server_pid(restarted)
    assert new_server != server
    restarted.wait(30)
    assert _wait_gone(new_server)
