"""Ctrl-C on the twin: a KeyboardInterrupt the firmware takes where it is safe.

On the board, the UART ISR sees the interrupt char and the VM raises
KeyboardInterrupt at its next pending-exception check, between bytecodes
(ports/esp8266/uart.c, py/vm.c). The unix build that runs the twin raises it
from the SIGINT handler itself (MICROPY_ASYNC_KBD_INTR, on where threads run
without a GIL: ports/unix/variants/mpconfigvariant_common.h), at any machine
instruction: inside a garbage collection it leaves the heap locked for good
("MemoryError: ... heap is locked"), inside a read() it loses the bytes read.

So a Ctrl-C is first *offered*: one byte on the firmware's fd 5, which the
firmware looks at in every pin-bus call, sleep and input wait and turns into a
KeyboardInterrupt raised by ordinary Python code (hal.take_ctrl_c), then
reports `took`. Only code that makes none of those calls for `GRACE` seconds
(``while True: pass``) gets the SIGINT, sent again every `RETRY` seconds while
the Ctrl-C is owed: until the firmware took one, or finished running code
(`intr -1`). Such a loop allocates nothing, so nothing is collected under it.
"""

from __future__ import annotations

import os
import signal
import threading
import time

GRACE = 0.03  # s the firmware has to take an offered Ctrl-C before a SIGINT
RETRY = 0.1  # s between SIGINTs while the Ctrl-C is still owed


class CtrlC:
    """The Ctrl-C state of one interpreter process (fd 5 is `offer_fd`'s read end there)."""

    def __init__(self, pid: int, offer_fd: int) -> None:
        self.pid = pid
        self._fd = offer_fd
        self._owed_since: float | None = None
        self._last_signal = 0.0
        self._cond = threading.Condition()
        self._closed = False
        self.thread = threading.Thread(target=self._loop, name=f"mp-kbd-{pid}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def press(self) -> None:
        """The interrupt char arrived while the firmware runs code."""
        with self._cond:
            if self._closed:
                return
            try:
                os.write(self._fd, b"\x03")
            except OSError:  # full (the firmware has not looked for a long time)
                pass
            if self._owed_since is None:
                self._owed_since = time.monotonic()
            self._cond.notify()

    def settled(self) -> None:
        """The firmware took it (`took`), or stopped running code (`intr -1`)."""
        with self._cond:
            self._owed_since = None

    def close(self) -> None:
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify()
            fd, self._fd = self._fd, -1
        try:
            os.close(fd)
        except OSError:
            pass

    def _loop(self) -> None:
        with self._cond:
            while not self._closed:
                if self._owed_since is None:
                    self._cond.wait()
                    continue
                now = time.monotonic()
                due = max(self._owed_since + GRACE, self._last_signal + RETRY)
                if now < due:
                    self._cond.wait(due - now)
                    continue
                self._last_signal = now
                try:
                    os.kill(self.pid, signal.SIGINT)
                except ProcessLookupError:
                    return
