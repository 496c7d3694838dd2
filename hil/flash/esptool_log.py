"""esptool's output, captured: its messages into a list, its progress into a callback.

esptool 5 prints through one replaceable logger (esp_pylib.logger.EspLog,
``set_logger``); write_flash reports progress as cumulative bytes through
``progress_bar`` (esptool/cmds.py ``log.progress(..., unit="B")``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from esp_pylib.logger import EspLog, EspLogBase

Progress = Callable[[int, int], None]


class CapturingLog(EspLogBase):
    """Keeps esptool's messages; forwards progress."""

    def __init__(self, progress: Progress | None = None) -> None:
        self.lines: list[str] = []
        self.progress_cb = progress

    def _add(self, *args: Any) -> None:
        self.lines.append(" ".join(str(a) for a in args).strip())

    def print(self, *args: Any, **kwargs: Any) -> None:
        self._add(*args)

    def err(self, *args: Any, suggestion: str | None = None) -> None:
        self._add("error:", *args)

    def warn(self, *args: Any, suggestion: str | None = None) -> None:
        self._add("warning:", *args)

    # esptool still calls the old names on its logger
    def warning(self, message: str, suggestion: str | None = None) -> None:
        self.warn(message)

    def error(self, message: str, suggestion: str | None = None) -> None:
        self.err(message)

    def note(self, *args: Any) -> None:
        self._add("note:", *args)

    def hint(self, *args: Any) -> None:
        self._add("hint:", *args)

    def debug(self, *args: Any) -> None:
        pass

    def set_verbosity(self, mode: int | str) -> None:
        pass

    def progress_bar(self, cur_iter: int, total_iters: int, prefix: str = "", suffix: str = "",
                     bar_length: int = 30) -> None:
        if self.progress_cb is not None:
            self.progress_cb(cur_iter, total_iters)

    def text(self) -> str:
        return "\n".join(line for line in self.lines if line)


@contextlib.contextmanager
def quiet_esptool(progress: Progress | None = None) -> Iterator[CapturingLog]:
    """Route esptool's logging to a CapturingLog for the duration."""
    previous = EspLog.instance
    capture = CapturingLog(progress)
    EspLog.set_logger(capture)
    try:
        yield capture
    finally:
        EspLog.instance = previous
