"""One state folder serves one twin at a time: an advisory lock on `STATE/twin.lock`.

`flock(2)` belongs to the open file description, so the kernel drops it when the
holder dies in any way (SIGKILL included): a lock left by a killed twin is simply
taken by the next one. The file also says who holds it (pid, since when,
command line) so that a refused twin can name the holder. The fd is
close-on-exec, so the twin's MicroPython child never inherits the lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import time
from pathlib import Path

from hil.sim.errors import SimBusyError

LOCK_NAME = "twin.lock"


class StateLock:
    """Held from `acquire()` to `release()`; raises SimBusyError naming the holder."""

    def __init__(self, state_dir: Path | str) -> None:
        self.path = Path(state_dir) / LOCK_NAME
        self._fd = -1

    def acquire(self) -> StateLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise SimBusyError(
                f"the twin state folder {self.path.parent} is in use by {holder}: one folder serves "
                "one twin at a time; stop that twin, or give this one another folder (--state DIR)"
            ) from None
        except OSError:
            os.close(fd)
            raise
        info = {
            "pid": os.getpid(),
            "since": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "command": " ".join(sys.argv)[:200],
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the flock
            self._fd = -1


def _read_holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"pid {info['pid']} (since {info['since']}: {info.get('command') or '?'})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another twin (its pid is not recorded yet)"
