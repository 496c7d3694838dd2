"""The serial object mpremote's SerialTransport talks through, with deadlines.

A reset seen at once: while a watched call runs (code running, a file moving)
the board's boot text can only mean it restarted. The ESP8266 ROM prints it at
74880 baud (esp8266 ROM, "ets Jan  8 2013,rst cause:..."), which a port at
115200 reads as a burst of NULs and framing garbage (Linux passes a framing
error as a NUL byte when neither IGNPAR nor PARMRK is set, termios(3)); then
MicroPython prints its banner unless main.py runs. Either raises
BoardResetError as soon as the bytes arrive, instead of waiting out the
deadline.

Known behaviours this works around (mpremote 1.29, transport_serial.py):
- ``read_until`` returns silently on timeout, and its callers print then raise
  a bare TransportError; ``raw_paste_write`` and ``exec_raw_no_follow`` call
  ``serial.read(2)`` with the port's timeout, which is None (forever) when
  mpremote opens the port itself.
- For paths under /dev/pts/ it switches to blocking ``read(1)``, so a silent
  device hangs it forever (docs/protocols.md §3.4).
So SerialTransport gets this object as its ``serial``: every read waits at most
until the active Deadline and then raises BoardTimeoutError naming what was
awaited and the last bytes seen; a failing port raises PortGoneError.

Every byte to and from the board is logged on the ``hil.serial`` logger at
DEBUG (``pytest --log-cli-level=DEBUG`` shows it; the pytest plugin writes a
transcript per test from it): one record per line received, per write sent,
and per partial line when the board goes quiet, with control bytes shown.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Callable, Iterator

import serial

from hil.errors import BoardResetError, BoardTimeoutError
from hil.repl.deadline import Deadline
from hil.transport import gone_error

DEFAULT_WAIT = 10.0  # s, when no caller set a deadline (mpremote's own default)
TAIL = 256  # bytes of history kept for timeout messages
ROM_TEXT = (b"rst cause:", b"ets Jan  8 2013")  # legible where the port runs at 74880
BANNER = re.compile(rb"MicroPython v\S+ on \S+; [^\r\n]{1,60} with ESP82\d\d\r\n")
NULS_MIN = 8        # NULs in the watched bytes that mean boot text at the wrong baud ...
NULS_SHARE = 0.1    # ... when they are also this share of them (text carries none)
# mpremote's raw-paste answer: "R", 1, then the window size as u16 LE (128 = 80 00), or
# "R", 0 (not supported) (MicroPython shared/runtime/pyexec.c): the protocol's only NULs
RAW_PASTE_REPLY = re.compile(rb"R\x01[\x00-\xff]{2}|R\x00", re.DOTALL)
LOG_CHUNK = 256  # a received run without a line end is logged at this length

log = logging.getLogger("hil.serial")

# Names of the control bytes a MicroPython REPL session uses (raw REPL: ^A enter,
# ^B leave, ^C interrupt, ^D soft reset / end of code, ^E paste mode).
_SHOWN = {0x0D: "\\r", 0x0A: "\\n\n", 0x09: "\\t", 0x5C: "\\\\", 0x1B: "<ESC>", 0x7F: "<DEL>"}


def show_bytes(data: bytes) -> str:
    """Bytes as readable text: printable ASCII as is, ``\\r`` ``\\n`` ``\\t`` escaped (a
    ``\\n`` also breaks the line), control bytes as ``<^C>``, others as ``<xHH>``."""
    out = []
    for b in data:
        if b in _SHOWN:
            out.append(_SHOWN[b])
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        elif b < 0x20:
            out.append(f"<^{chr(b + 0x40)}>")
        else:
            out.append(f"<x{b:02X}>")
    return "".join(out).rstrip("\n")


class Link:
    """Bytes to and from the board; reads never outlive the active deadline."""

    def __init__(self, port: serial.Serial, name: str) -> None:
        self.port = port
        self.name = name
        self.tail = bytearray()
        self._pending = bytearray()  # read from the port but not yet consumed
        self._unlogged = bytearray()  # received, not yet in the log (a partial line)
        self.deadline: Deadline | None = None
        self.watch_reset = False  # raise BoardResetError when boot text arrives
        self._watched = bytearray()  # bytes that arrived while watching (last TAIL)

    # -- deadlines ------------------------------------------------------------------
    @contextlib.contextmanager
    def waiting(self, timeout: float, what: str, hint: str = "",
                detached: bool = False) -> Iterator[Deadline]:
        """Every read inside ends by ``timeout`` (or the enclosing deadline, if sooner;
        ``detached``: a recovery with its own budget, whatever is left outside)."""
        outer = self.deadline
        self.deadline = (outer.sooner(timeout, what, hint) if outer and not detached
                         else Deadline(timeout, what, hint))
        try:
            yield self.deadline
        finally:
            self.deadline = outer

    def _current(self) -> Deadline:
        if self.deadline is None:
            return Deadline(DEFAULT_WAIT, f"reading from the board on {self.name}")
        return self.deadline

    def timeout_error(self, deadline: Deadline, awaiting: bytes | None = None) -> BoardTimeoutError:
        what = deadline.what
        if awaiting is not None:
            what += f" (awaiting {awaiting!r})"
        return BoardTimeoutError(what, deadline.timeout, bytes(self.tail), deadline.hint)

    @contextlib.contextmanager
    def watching_reset(self, on: bool) -> Iterator[None]:
        """Inside, boot text from the board raises BoardResetError (``on``) or is data."""
        outer = self.watch_reset
        self.watch_reset = on
        if on and not outer:
            self._watched.clear()
        try:
            yield
        finally:
            self.watch_reset = outer

    def _check_reset(self, data: bytes) -> None:
        self._watched += data
        del self._watched[:-TAIL]
        seen = RAW_PASTE_REPLY.sub(b"", bytes(self._watched))
        sign = next((s for s in ROM_TEXT if s in seen), None)
        banner = BANNER.search(seen)
        nuls = seen.count(0)
        if sign is None and banner is None and not (
                nuls >= NULS_MIN and nuls >= NULS_SHARE * len(seen)):
            return
        evidence = (f"the ROM's {sign.decode()!r}" if sign else
                    f"MicroPython's banner {banner.group(0).strip().decode()!r}" if banner else
                    f"the ROM's 74880-baud boot text ({nuls} NULs in {seen[-24:]!r})")
        what = self.deadline.what if self.deadline else f"talking to the board on {self.name}"
        self._watched.clear()
        self._pending.clear()  # the old conversation is over
        raise BoardResetError(
            f"the board reset while {what}: {evidence} arrived, so it restarted (a power dip "
            f"or brownout, a loose cable, its reset line, or a watchdog); check the USB cable "
            f"and power (a powered hub), then run again")

    # -- the pyserial surface mpremote uses ---------------------------------------------
    def write(self, data: bytes) -> int:
        if log.isEnabledFor(logging.DEBUG):
            self.log_received()
            log.debug("%s -> %s", self.name, show_bytes(data))
        try:
            n = self.port.write(data)
            return len(data) if n is None else n
        except (serial.SerialException, OSError) as e:
            raise gone_error(self.name, e, "writing to the board") from e

    def inWaiting(self) -> int:
        self._fill(block=False)
        return len(self._pending)

    @property
    def in_waiting(self) -> int:
        return self.inWaiting()

    def read(self, n: int = 1) -> bytes:
        """Exactly ``n`` bytes, or BoardTimeoutError at the deadline."""
        deadline = self._current()
        while len(self._pending) < n:
            if deadline.expired():
                raise self.timeout_error(deadline, awaiting=f"{n} bytes".encode())
            self._fill(block=True)
        out = bytes(self._pending[:n])
        del self._pending[:n]
        return out

    def flush(self) -> None:
        with contextlib.suppress(serial.SerialException, OSError):
            self.port.flush()

    @property
    def fd(self) -> int | None:
        return getattr(self.port, "fd", None)

    # -- what mpremote lacks ------------------------------------------------------------
    def read_until(self, ending: bytes, *, consumer: Callable[[bytes], None] | None = None,
                   ) -> bytes:
        """Bytes up to and including ``ending``; BoardTimeoutError at the deadline.

        Bytes after ``ending`` stay pending for the next read. On a timeout what
        was read stays pending too, so a retry loses nothing. With ``consumer``
        the data goes to it as it arrives (mpremote's data_consumer) and only
        ``ending`` is returned.
        """
        deadline = self._current()
        scanned = 0
        while True:
            idx = self._pending.find(ending, max(0, scanned - len(ending) + 1))
            if idx >= 0:
                end = idx + len(ending)
                out = bytes(self._pending[:end])
                del self._pending[:end]
                if consumer is not None:
                    if out[:-len(ending)]:
                        consumer(out[:-len(ending)])
                    return ending
                return out
            if consumer is not None and self._pending:
                # safe to hand over all but a possible partial ending
                keep = len(ending) - 1
                give = bytes(self._pending[:len(self._pending) - keep]) if keep else \
                    bytes(self._pending)
                if give:
                    consumer(give)
                    del self._pending[:len(give)]
            scanned = len(self._pending)
            if deadline.expired():
                raise self.timeout_error(deadline, awaiting=ending)
            self._fill(block=True)

    def collect(self, ending: bytes, quiet: float) -> tuple[bytes, bool]:
        """Read until ``ending`` (found=True), or until nothing arrives for ``quiet`` s.

        For boot text: a main.py that loops forever never shows the prompt, so
        silence ends the wait instead. Bounded by the active deadline too.
        """
        deadline = self._current()
        last = time.monotonic()
        seen = len(self._pending)
        while True:
            idx = self._pending.find(ending)
            if idx >= 0:
                end = idx + len(ending)
                out = bytes(self._pending[:end])
                del self._pending[:end]
                return out, True
            now = time.monotonic()
            if len(self._pending) != seen:
                seen, last = len(self._pending), now
            if now - last >= quiet or deadline.expired():
                out = bytes(self._pending)
                self._pending.clear()
                return out, False
            self._fill(block=True)

    def wait_for_data(self) -> None:
        """Until at least one byte is pending (BoardTimeoutError at the deadline); consumes none."""
        deadline = self._current()
        while not self._pending:
            if deadline.expired():
                raise self.timeout_error(deadline, awaiting=b"any byte")
            self._fill(block=True)

    def unread(self, data: bytes) -> None:
        """Put ``data`` back in front of what is pending (a reader took too much)."""
        self._pending[:0] = data

    def peek(self) -> bytes:
        """What has arrived and is not consumed yet (nothing is read from the port)."""
        return bytes(self._pending)

    def drain(self) -> bytes:
        """Whatever has arrived so far (no waiting)."""
        self._fill(block=False)
        out = bytes(self._pending)
        self._pending.clear()
        return out

    def _fill(self, block: bool) -> None:
        """Move arrived bytes to ``_pending``; with ``block`` wait one port timeout for them."""
        try:
            n = self.port.in_waiting
            if n == 0 and not block:
                return
            # port.timeout (set at open, ~0.05 s) bounds the blocking read, so
            # the caller's deadline is checked at least that often.
            data = self.port.read(n or 1)
        except (serial.SerialException, OSError) as e:
            raise gone_error(self.name, e, "reading from the board") from e
        if data:
            self._pending += data
            self.tail += data
            del self.tail[:-TAIL]
            if self.watch_reset:
                self._check_reset(data)
        if log.isEnabledFor(logging.DEBUG):
            self._log_rx(data)

    def _log_rx(self, data: bytes) -> None:
        """Log received bytes a line at a time; a partial line once the board goes quiet."""
        self._unlogged += data
        end = self._unlogged.rfind(b"\n")
        if end >= 0:
            for line in bytes(self._unlogged[:end + 1]).splitlines(keepends=True):
                log.debug("%s <- %s", self.name, show_bytes(line))
            del self._unlogged[:end + 1]
        if self._unlogged and (not data or len(self._unlogged) >= LOG_CHUNK):
            self.log_received()

    def log_received(self) -> None:
        """Log what was received but not logged yet (before a write, at quiet, at close)."""
        if self._unlogged:
            log.debug("%s <- %s", self.name, show_bytes(bytes(self._unlogged)))
            self._unlogged.clear()
