"""Where the nightly run keeps what outlives a checkout: locks and the bench's history.

Under the user's state directory (XDG base directory spec: ``$XDG_STATE_HOME``,
default ``~/.local/state``), so a fresh checkout of the repository on the
runner keeps the history of the nights before.
"""

from __future__ import annotations

import os
import re
from pathlib import Path


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "hil"


def lock_dir() -> Path:
    return Path(os.environ.get("HIL_LOCK_DIR") or state_dir() / "locks")


def history_dir() -> Path:
    return state_dir() / "history"


def board_key(port: str) -> str:
    """A file name for one board: its port (a device path with symlinks resolved, so a
    udev name and /dev/ttyUSB0 share one lock) or its MAC."""
    if port.startswith("/"):
        port = os.path.realpath(port)
    return re.sub(r"[^A-Za-z0-9.-]+", "_", port).strip("_") or "board"


def history_file(mac: str | None, port: str) -> Path:
    """The default history of a board: by MAC when the run learned it, else by port."""
    return history_dir() / f"{board_key(mac.replace(':', '-') if mac else port)}.jsonl"
