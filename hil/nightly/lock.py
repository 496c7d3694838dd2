"""One job per board: a lock file per board (filelock), with who holds it beside it.

filelock's ``FileLock`` is an ``fcntl.flock`` lock on Linux: the kernel drops it
when the holding process dies, so a lock left by a killed job is simply taken
over. The holder's pid, host and start time go into ``<key>.holder.json``
beside the lock, so a job that gives up can say who it waited for.
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import filelock

from hil.errors import BoardLockedError

POLL_S = 0.5


class BoardLock:
    """``with BoardLock(dir, key, port).held(timeout, say): ...``"""

    def __init__(self, lock_dir: Path, key: str, port: str) -> None:
        self.path = Path(lock_dir) / f"{key}.lock"
        self.holder_path = Path(lock_dir) / f"{key}.holder.json"
        self.port = port
        self._lock: filelock.BaseFileLock | None = None

    def holder(self) -> str:
        """The holder in words, from the file beside the lock."""
        try:
            h = json.loads(self.holder_path.read_text())
            return (f"pid {h['pid']} on {h['host']} since {h['since']}"
                    + (f" ({h['command']})" if h.get("command") else ""))
        except (OSError, ValueError, KeyError, TypeError):
            return "a process that left no holder note"

    def acquire(self, timeout: float, say: Callable[[str], None] = lambda _: None) -> None:
        """Take the lock; wait up to ``timeout`` s; BoardLockedError naming the holder."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(str(self.path))
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            say(f"the board on {self.port} is in use by {self.holder()}; waiting up to "
                f"{timeout:.0f} s for it (lock {self.path})")
            try:
                lock.acquire(timeout=timeout, poll_interval=POLL_S)
            except filelock.Timeout:
                raise BoardLockedError(
                    f"board busy: {self.port} is held by {self.holder()}; waited "
                    f"{timeout:.0f} s (--lock-timeout). Let that job finish or stop it; a "
                    f"killed job's lock is freed by the system (lock {self.path})") from None
        self._lock = lock
        self.holder_path.write_text(json.dumps({
            "pid": os.getpid(), "host": socket.gethostname(),
            "since": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "port": self.port, "command": os.path.basename(sys.argv[0]),
        }) + "\n")

    def release(self) -> None:
        if self._lock is not None:
            try:
                self.holder_path.unlink()
            except OSError:
                pass
            self._lock.release()
            self._lock = None
