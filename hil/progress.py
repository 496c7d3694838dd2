"""Progress of a long transfer (flashing, uploading) for a person to watch.

On a terminal: a rich bar (description, bar, bytes, time left) that stays as
one line when done. Elsewhere (CI logs, pipes): one line when the transfer
ends, so a log says what was written without a line per block.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import TextIO

Progress = Callable[[int, int], None]  # (bytes done, bytes in all)


@contextlib.contextmanager
def progress_bar(description: str, file: TextIO | None = None) -> Iterator[Progress]:
    """A callback ``(done, total)`` that draws ``description``'s progress on ``file``."""
    stream = file if file is not None else sys.stderr
    seen = {"done": 0, "total": 0, "calls": 0}
    started = time.monotonic()

    def note(done: int, total: int) -> None:
        seen.update(done=done, total=total, calls=seen["calls"] + 1)

    if _is_tty(stream):
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, TimeRemainingColumn
        from rich.progress import Progress as Bar

        with Bar("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                 TimeRemainingColumn(), console=Console(file=stream)) as bar:
            task = bar.add_task(description, total=None)

            def update(done: int, total: int) -> None:
                note(done, total)
                bar.update(task, completed=done, total=total)

            yield update
        return
    yield note
    if seen["calls"]:
        stream.write(f"{description}: {seen['done']} of {seen['total']} bytes in "
                     f"{time.monotonic() - started:.1f} s\n")
        stream.flush()


def _is_tty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False
