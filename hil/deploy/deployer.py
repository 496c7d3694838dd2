"""Upload the app so the board runs it at boot: compile-check, skip what matches, verify.

Only the app's own files are written; the board's other files (boot.py, data
the app wrote) are left alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from hil.deploy.compile import compile_check
from hil.errors import DeployError, LinkError
from hil.repl import Repl

SKIP_NAMES = {"__pycache__", ".git", ".DS_Store"}


@dataclass(frozen=True)
class DeployResult:
    uploaded: tuple[str, ...]  # board paths written (and verified)
    skipped: tuple[str, ...]   # board paths whose sha256 already matched


def app_files(app_dir: Path, files: Iterable[str] | None = None) -> list[Path]:
    """The app's files: ``files`` (relative to ``app_dir``) or everything in it."""
    app_dir = Path(app_dir)
    if not app_dir.is_dir():
        raise DeployError(f"deploy: app directory {app_dir} does not exist; put the app "
                          f"(main.py and its files) there, or name its folder: pytest "
                          f"--app-dir DIR, hil deploy --port PORT DIR")
    if files is not None:
        chosen = [app_dir / f for f in files]
        missing = [str(p) for p in chosen if not p.is_file()]
        if missing:
            raise DeployError(f"deploy: no such file(s) in {app_dir}: {', '.join(missing)}")
        return chosen
    return sorted(p for p in app_dir.rglob("*")
                  if p.is_file() and not any(part in SKIP_NAMES or part.startswith(".")
                                             for part in p.relative_to(app_dir).parts))


def deploy_app(repl: Repl, app_dir: Path, *, files: Iterable[str] | None = None,
               progress: Callable[[int, int], None] | None = None,
               board_version: str | None = None) -> DeployResult:
    """Upload ``app_dir``'s files to the board's root; skip identical ones; verify each write.

    ``progress(done, total)``: bytes written so far of the files that differ
    (never called when every file already matches, so nothing claims an upload).
    ``board_version`` ("v1.24.1"): compile-check with that release's mpy-cross.
    """
    app_dir = Path(app_dir)
    paths = app_files(app_dir, files)
    compile_check((p for p in paths if p.suffix == ".py"),  # before anything is written
                  board_version=board_version)
    skipped: list[str] = []
    todo: list[tuple[Path, PurePosixPath, bytes, str]] = []
    for path in paths:
        rel = PurePosixPath(*path.relative_to(app_dir).parts)
        data = path.read_bytes()
        want = hashlib.sha256(data).hexdigest()
        if repl.fs_sha256("/" + str(rel)) == want:
            skipped.append("/" + str(rel))
        else:
            todo.append((path, rel, data, want))
    uploaded: list[str] = []
    made_dirs: set[str] = set()
    total = sum(len(data) for _, _, data, _ in todo)
    before = 0  # bytes of the files already written

    def report(done_in_file: int, _size: int = 0) -> None:
        if progress is not None:
            progress(before + done_in_file, total)

    for path, rel, data, want in todo:
        target = "/" + str(rel)
        for parent in reversed(rel.parents[:-1]):
            d = "/" + str(parent)
            if d not in made_dirs:
                repl.fs_mkdir(d)
                made_dirs.add(d)
        _write_verified(repl, path, target, data, want, report)
        uploaded.append(target)
        before += len(data)
        report(0)
    return DeployResult(tuple(uploaded), tuple(skipped))


def _write_verified(repl: Repl, path: Path, target: str, data: bytes, want: str,
                    report: Callable[[int, int], None]) -> None:
    """Write, then compare the board's SHA-256; once more if the link damaged either.

    A file is never left as if written when its hash differs: the second
    failure is a DeployError (a bench error) naming both causes.
    """
    got: str | None = None
    for attempt in (1, 2):
        try:
            repl.fs_write(target, data, progress=report)
            got = repl.fs_sha256(target)
        except LinkError:
            if attempt == 2:
                raise
            continue
        if got == want:
            return
    raise DeployError(
        f"deploy of {path} to {target} on {repl.port}: after writing it twice, the board's "
        f"sha256 is {got}, expected {want}; the filesystem may be full or damaged (check free "
        f"space with os.statvfs('/')), or the serial link corrupts bytes (check the cable and "
        f"the USB hub)")
