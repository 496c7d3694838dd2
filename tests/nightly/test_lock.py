"""The board lock: a second job waits, gives up naming the holder, takes over a killed job's lock."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hil.errors import BoardLockedError, PortBusyError
from hil.nightly.lock import BoardLock

pytestmark = pytest.mark.slow  # runs ci/nightly jobs in subprocesses

HOLD = """
import sys, time
from hil.nightly.lock import BoardLock
lock = BoardLock(sys.argv[1], "board", "/dev/ttyUSB9")
lock.acquire(5)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
lock.release()
"""


def holder(tmp_path: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_second_job_gives_up_naming_the_holder(tmp_path: Path) -> None:
    proc = holder(tmp_path, 60)
    try:
        said: list[str] = []
        with pytest.raises(BoardLockedError) as e:
            BoardLock(tmp_path, "board", "/dev/ttyUSB9").acquire(0.5, said.append)
        msg = str(e.value)
        assert f"pid {proc.pid} on {socket.gethostname()} since " in msg
        assert "/dev/ttyUSB9" in msg and "--lock-timeout" in msg
        assert isinstance(e.value, PortBusyError)  # a busy board: the bench's error (3)
        assert said and f"pid {proc.pid}" in said[0]  # it said whom it waited for
    finally:
        proc.kill()
        proc.wait()


def test_second_job_waits_for_the_first(tmp_path: Path) -> None:
    proc = holder(tmp_path, 1.5)
    try:
        lock = BoardLock(tmp_path, "board", "/dev/ttyUSB9")
        lock.acquire(60)  # waits until the first releases
        assert proc.poll() is not None or proc.wait(10) == 0
        assert f"pid {os.getpid()}" in lock.holder()
        lock.release()
    finally:
        proc.kill()
        proc.wait()


def test_a_killed_jobs_lock_is_taken_over(tmp_path: Path) -> None:
    proc = holder(tmp_path, 60)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    lock = BoardLock(tmp_path, "board", "/dev/ttyUSB9")
    started = time.monotonic()
    lock.acquire(30)
    assert time.monotonic() - started < 30  # taken over, not waited out
    lock.release()
