"""The MicroPython REPL of one board, on top of mpremote's SerialTransport.

mpremote does the raw REPL, raw-paste (with its fallback for pre-1.14
firmware) and the file helpers; this class adds what it lacks: deadlines on
every wait, a reliable way in past a main.py that loops forever, soft and
hard reset, starting code without waiting for it, and host exceptions for
device ones.

Known behaviours (docs/protocols.md §3.1-§3.4, MicroPython shared/runtime/pyexec.c):
- Friendly REPL: Enter is ``\\r`` only on v1.19-v1.24; Ctrl-C on an empty
  line prints a new prompt, Ctrl-B prints the banner, Ctrl-D soft-resets and
  runs main.py.
- Raw REPL: Ctrl-C clears the input buffer silently; Ctrl-D on an empty
  buffer soft-resets *without* running main.py and stays raw.
- A main.py that catches KeyboardInterrupt or calls
  ``micropython.kbd_intr(-1)`` cannot be interrupted from the serial line;
  only a hard reset (or erasing main.py) gets past it.
"""

from __future__ import annotations

import ast
import contextlib
import enum
import errno
import hashlib
import random
import re
import time
from collections.abc import Callable
from types import TracebackType

from mpremote.transport import TransportError, TransportExecError
from mpremote.transport_serial import SerialTransport

from hil.errors import (
    BoardResetError,
    BoardStateError,
    BoardTimeoutError,
    DeviceError,
    HilError,
    LineSpeedError,
    LinkError,
    PortError,
    ProtocolError,
)
from hil.repl.link import Link
from hil.transport import has_modem_lines, open_port

RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
SOFT_REBOOT = b"soft reboot\r\n"
PROMPT = b">>> "
BOOT_QUIET = 1.5  # s of silence after a reset that means "main.py runs, silently"
RESET_PULSE = 0.1  # s EN held low; esptool's HardReset uses the same (esptool/reset.py)
INTERRUPT_ROUND = 1.0  # s to wait for a Ctrl-C to take before sending another
# Code up to this size goes out in the plain raw REPL (code, Ctrl-D, "OK") in one
# round trip; longer code uses raw-paste, whose flow control keeps a long paste
# from overrunning the board's input buffers (docs/protocols.md §3.2, §3.3).
# 64 bytes fit the ESP8266 UART's 128-byte receive FIFO alone (ESP8266 Technical
# Reference, UART), before the port's stdin ring buffer. mpremote's plain path
# sleeps 10 ms per write and its raw-paste path costs an extra round trip: a pin
# check is a few dozen bytes, and the suite makes hundreds.
SHORT_CODE = 64
KBD_HINT = ("no prompt came back: if main.py catches KeyboardInterrupt or calls "
            "micropython.kbd_intr(-1) it cannot be interrupted from the serial line (a known "
            "limit): hard-reset the board with the reset lines, or erase main.py; if the last "
            "bytes show a crash or garbage, check the baud rate and reflash the firmware")
REPL_BAUD = 115200  # MicroPython's REPL on the ESP8266 (ports/esp8266 UART0 default)
RESET_LOOK = 0.5  # s to look for boot text after a protocol surprise (the ROM text takes ~40 ms)
GARBAGE_SHARE = 0.3  # more than this share of unprintable bytes: not text at this baud
BREAK_IN_WINDOW = 2.0  # s of Ctrl-Cs after a reset: the ROM, _boot.py, boot.py, main.py's start
BREAK_IN_PACE = 0.004  # s per burst of Ctrl-Cs (as many as the line moves in that time)
# Resets: each boot is another chance. A board's UART takes a Ctrl-C every 87 us, so the
# first boot nearly always works; the twin delivers bytes in 4 ms steps and its boot.py
# takes about 1 ms, so about 1 boot in 3 works there (measured): 20 leave 1 in 1000 out.
BREAK_IN_TRIES = 20
NO_RESET_LINE_HINT = (
    "no prompt came back, and {port} has no reset line (a pty or socket), so the harness cannot "
    "restart the board past a main.py that disables Ctrl-C (micropython.kbd_intr(-1)) or "
    "catches KeyboardInterrupt. To get in without losing files: open a terminal on it "
    "(`mpremote connect {port} repl`), hold Ctrl-C down and press the board's RST button; "
    "when >>> shows, leave the terminal (Ctrl-]) and run again: the board stays at its prompt "
    "and main.py stays on it. Or connect the board's own USB port (DTR/RTS reach its reset), "
    "or an rfc2217 server, and the harness does this itself")
BANNER_RE = re.compile(r"MicroPython (v\d+\.\d+(?:\.\d+)?\S*) on \S+; .+? with \S+")


class State(enum.Enum):
    UNKNOWN = "unknown"      # just opened, or after an error
    FRIENDLY = "friendly"    # idle at ">>> "
    RAW = "raw"              # idle in the raw REPL, its ">" prompt pending
    RUNNING = "running"      # code started in the raw REPL (start())
    BOOTING = "booting"      # after a reset: main.py may be running


class DeviceOSError(DeviceError, OSError):
    """An OSError raised on the board, with the host errno (catch it as OSError)."""

    def __init__(self, err: int, message: str, traceback: str = "") -> None:
        OSError.__init__(self, err, message)
        self.exc_name = "OSError"
        self.traceback = traceback


class DeviceFileNotFoundError(DeviceOSError, FileNotFoundError):
    """ENOENT on the board."""


class _Transport(SerialTransport):
    """SerialTransport over a Link: same protocol code, waits that end."""

    def __init__(self, link: Link, device: str) -> None:
        self.in_raw_repl = False
        self.use_raw_paste = True
        self.device_name = device
        self.mounted = False
        self.serial = link
        self.is_pty = False  # never use mpremote's blocking /dev/pts/ reads

    def read_until(self, min_num_bytes: int, ending: bytes, timeout: float | None = 10,
                   data_consumer=None, timeout_overall: float | None = None) -> bytes:
        link: Link = self.serial
        limit = timeout_overall if timeout_overall is not None else timeout
        if link.deadline is None and limit is not None:
            with link.waiting(limit, f"reading from the board on {self.device_name}"):
                return link.read_until(ending, consumer=data_consumer)
        return link.read_until(ending, consumer=data_consumer)

    def close(self) -> None:  # the Repl owns the port
        pass


class Repl:
    """One board's REPL. Opens the port at construction; ``close()`` releases it."""

    def __init__(self, port: str, baud: int = 115200) -> None:
        self.port = port
        self.baud = baud
        # A short port timeout: reads block at most this long before the Link
        # checks its deadline again.
        self._serial = open_port(port, baud, timeout=0.05)
        self._link = Link(self._serial, port)
        self._t = _Transport(self._link, port)
        self.state = State.UNKNOWN
        self._closed = False
        self.notes: list[str] = []  # what the Repl did on its own (a break-in at boot)

    # -- lifecycle ------------------------------------------------------------------
    def close(self) -> None:
        """Release the port (idempotent; never raises)."""
        if self._closed:
            return
        self._closed = True
        self._link.log_received()  # the transcript ends with the board's last bytes
        # Closing must not fail: the port may be gone (unplugged) already.
        with contextlib.suppress(Exception):
            if self.state is State.RAW:
                self._serial.write(b"\r\x02")  # back to the friendly REPL, as mpremote does
                self._serial.flush()
        for line in ("rts", "dtr"):  # mpremote's order: no reset on ESP boards
            with contextlib.suppress(Exception):  # ENOTTY on a pty, or the port is gone
                setattr(self._serial, line, False)
        with contextlib.suppress(Exception):
            self._serial.close()

    def __enter__(self) -> Repl:  # noqa: PYI034 (Python 3.10: no typing.Self)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Repl({self.port!r}, state={self.state.value})"

    # -- raw bytes -----------------------------------------------------------------
    def write(self, data: bytes) -> None:
        """Send bytes as they are (the REPL state is no longer known afterwards)."""
        self._check_open()
        self._link.write(data)

    def read_until(self, marker: bytes, timeout: float, what: str) -> bytes:
        """Bytes up to and including ``marker``; BoardTimeoutError naming ``what``."""
        self._check_open()
        with self._link.waiting(timeout, f"{what} on {self.port}"):
            return self._link.read_until(marker)

    # -- getting to a known prompt ----------------------------------------------------
    def ensure_friendly_idle(self, timeout: float = 10.0, *, break_in: bool = True) -> None:
        """Interrupt whatever runs (Ctrl-C, retried), leave raw mode, end at ">>> ".

        If Ctrl-C does not get through (a main.py that calls
        ``micropython.kbd_intr(-1)`` or swallows KeyboardInterrupt) and the port
        has reset lines, ``break_in``: reset the board and Ctrl-C it during boot,
        before main.py runs (break_in_at_boot; main.py stays on the board; what
        was done is added to ``notes``). Without reset lines, the error says what
        the person must do.
        """
        try:
            self._to_friendly(timeout)
        except LineSpeedError:
            raise
        except BoardTimeoutError as e:
            if not break_in:
                raise
            if self.baud != REPL_BAUD:  # first suspect the line speed, never reset for it
                raise BoardTimeoutError(
                    e.what, e.timeout, e.tail,
                    f"line speed: no answer at {self.baud} baud; MicroPython's REPL runs at "
                    f"{REPL_BAUD}: pass --baud {REPL_BAUD} or leave --baud out") from None
            if not has_modem_lines(self._serial):
                raise BoardTimeoutError(e.what, e.timeout, e.tail,
                                        NO_RESET_LINE_HINT.format(port=self.port)) from None
            self.break_in_at_boot()

    def break_in_at_boot(self, timeout: float = BREAK_IN_TRIES * (BREAK_IN_WINDOW + 0.5)) -> None:
        """Reset the board through its reset line and Ctrl-C it during boot, to the prompt.

        What a person at the desk does against a main.py that disables Ctrl-C.
        MicroPython's ESP8266 port runs _boot.py, boot.py, then main.py
        (ports/esp8266/main.c mp_reset), with Ctrl-C enabled while each runs
        (shared/runtime/pyexec.c parse_compile_execute). A Ctrl-C that lands in
        boot.py stops it, and since v1.22 main.py is then skipped (pyexec's
        return value is checked); on any version one that lands before main.py's
        ``kbd_intr(-1)`` stops main.py. So Ctrl-Cs go out back to back from the
        reset until the prompt shows (a new reset after BREAK_IN_WINDOW s). Then a raw-REPL soft reset runs
        _boot.py and boot.py again undisturbed (a Ctrl-C inside _boot.py could
        leave the filesystem unmounted) without main.py. No file is touched.
        """
        self._check_open()
        if not has_modem_lines(self._serial):
            raise BoardStateError(NO_RESET_LINE_HINT.format(port=self.port))
        with self._guard(timeout, f"breaking in at boot on {self.port} (reset, then Ctrl-C "
                                  f"during boot)", KBD_HINT, watch_reset=False, detached=True):
            for _ in range(BREAK_IN_TRIES):
                if self._reset_and_hammer():
                    break
            else:
                raise BoardTimeoutError(
                    f"breaking in at boot on {self.port}", timeout, bytes(self._link.tail),
                    f"{BREAK_IN_TRIES} resets with Ctrl-C during boot never reached the prompt; "
                    f"the board may be hung before MicroPython starts: erase it (esptool "
                    f"erase-flash, which loses its files) and flash MicroPython again")
        self._to_friendly(5.0)
        self.soft_reset(run_main=False)  # _boot.py and boot.py again, undisturbed
        self._to_friendly(5.0)
        self.notes.append(
            f"Ctrl-C did not reach the prompt on {self.port} (main.py disables it, e.g. "
            f"micropython.kbd_intr(-1)): the harness reset the board through its reset line and "
            f"sent Ctrl-C during boot, so main.py did not run; main.py is still on the board")

    def _reset_and_hammer(self) -> bool:
        """One reset, then Ctrl-Cs back to back for BREAK_IN_WINDOW s; True once ">>> " shows.

        Back to back (a burst at the line's own rate, paced so the adapter's
        buffer does not fill): boot.py and the first lines of main.py take only
        milliseconds, so a gap between Ctrl-Cs could miss them.
        """
        self._link.drain()
        self._serial.dtr = False  # GPIO0 released: boot from flash (esptool docs)
        self._serial.rts = True
        time.sleep(RESET_PULSE)
        self._serial.rts = False
        self.state = State.BOOTING
        burst = max(1, int(self.baud / 10 * BREAK_IN_PACE))  # bytes the line moves per pace
        end = time.monotonic() + BREAK_IN_WINDOW
        while time.monotonic() < end:
            self._link.write(b"\x03" * burst)
            time.sleep(BREAK_IN_PACE)  # the line's pace, not a synchronisation
            self._link.inWaiting()
            if PROMPT in self._link.peek():
                return True
        return False

    def _to_friendly(self, timeout: float) -> bytes:
        """Returns what the board printed on the way (e.g. the interrupted program's output)."""
        self._check_open()
        seen = bytearray()
        with self._guard(timeout, f"interrupting the board on {self.port} to reach the "
                                  f"friendly prompt", KBD_HINT, watch_reset=False) as deadline:
            rounds = 0
            while True:
                # Ctrl-C stops running code (a second one in case the first
                # lands in a try/except), Ctrl-B leaves the raw REPL; then a
                # sum typed at the prompt proves the REPL is ours: its result
                # is not in the echo, so finding it means the prompt after it
                # is the last thing the board sent.
                nonce = random.randrange(100000, 999999)
                marker = f"{nonce * 7}\r\n".encode() + PROMPT
                before = len(self._link.peek())
                self._link.write(b"\r\x03\x03\x02")
                self._link.write(f"print({nonce}*7)\r".encode())
                try:
                    with self._link.waiting(min(INTERRUPT_ROUND * 2, deadline.time_left()),
                                            deadline.what, deadline.hint):
                        seen += self._link.read_until(marker)
                    break
                except BoardTimeoutError as e:
                    rounds += 1
                    # the first round may hold boot text (74880 baud: garbage at
                    # any other rate); later rounds hold only answers to us
                    answer = self._link.peek()[before:] if rounds > 1 else b""
                    self._check_line_speed(answer, first=rounds == 1)
                    if deadline.expired():
                        raise self._link.timeout_error(deadline, awaiting=marker) from e
        self._t.in_raw_repl = False
        self.state = State.FRIENDLY
        return bytes(seen)

    def _check_line_speed(self, answer: bytes, first: bool) -> None:
        """A wrong baud is reported as what it is, first, not as a board that does not answer.

        At another rate than the board's, what it sends arrives as garbage (or
        not at all: each byte looks like a framing error). So: garbage in
        answer to us is a LineSpeedError; and once, when the port is not at
        MicroPython's 115200, the same exchange is tried at 115200: if the board
        answers there, the --baud is wrong.
        """
        if _garbled(answer) and self.baud != REPL_BAUD:
            raise LineSpeedError(
                f"line speed: the board on {self.port} answers at {self.baud} baud with garbage "
                f"({answer[-40:]!r}), not text: the baud is wrong; MicroPython's REPL runs at "
                f"{REPL_BAUD}: pass --baud {REPL_BAUD} or leave --baud out") from None
        if _garbled(answer):
            raise LineSpeedError(
                f"the board on {self.port} sends garbage at {self.baud} baud ({answer[-40:]!r}), "
                f"not REPL text: it most likely boot-loops, printing the ROM's messages at 74880 "
                f"baud (no firmware, or a broken one: flash MicroPython with `hil flash --port "
                f"{self.port} --flash always ESP8266_GENERIC-vX.Y.Z.bin`, or pytest's --firmware "
                f"ESP8266_GENERIC-vX.Y.Z.bin --flash always), or its firmware runs at another "
                f"line speed (then pass that --baud)") from None
        if not first or self.baud == REPL_BAUD:
            return
        nonce = random.randrange(100000, 999999)
        marker = f"{nonce * 7}\r\n".encode() + PROMPT
        try:
            self._serial.baudrate = REPL_BAUD
            self._link.drain()
            self._link.write(b"\r\x03\x03\x02" + f"print({nonce}*7)\r".encode())
            with self._link.waiting(INTERRUPT_ROUND * 2, "the REPL at 115200 baud"):
                self._link.read_until(marker)
        except BoardTimeoutError:
            return  # not a line-speed problem that this can show
        finally:
            with contextlib.suppress(Exception):
                self._serial.baudrate = self.baud
        raise LineSpeedError(
            f"line speed: the board on {self.port} does not answer at {self.baud} baud but "
            f"does at {REPL_BAUD}: the baud is wrong; pass --baud {REPL_BAUD} (MicroPython's "
            f"REPL speed) or leave --baud out") from None

    def _enter_raw(self) -> None:
        if self.state is State.RAW:
            return
        if self.state is not State.FRIENDLY:
            self._to_friendly(self._link.deadline.time_left() if self._link.deadline else 10.0)
        self._link.write(b"\r\x01")
        self._link.read_until(RAW_BANNER)  # the ">" stays pending for the command
        self._t.in_raw_repl = True
        self.state = State.RAW

    # -- running code --------------------------------------------------------------
    def exec(self, code: str, timeout: float = 10.0) -> str:
        """Run ``code`` in the raw REPL; its stdout. A device exception -> DeviceError.

        The code travels with its SHA-256 (first 4 bytes), checked on the board
        before it runs (``_sealed``): a byte the link garbled or dropped stops
        it there, nothing of it ran, and it is sent once more; twice is a
        LinkError (a bench error), never a SyntaxError blamed on the code.
        """
        with self._guard(timeout, f"running code on {self.port}",
                         "the code may still be running; Repl.interrupt() stops it",
                         watch_reset=True):
            for attempt in (1, 2):
                self._start(_sealed(code))
                try:
                    return self._follow()
                except DeviceError as e:
                    damaged = _seal_broken(e) or _impossible_syntax_error(e, code)
                    if not damaged:
                        raise
                    if attempt == 2:
                        raise self._link_error(e, "the code the harness sent") from e
        raise AssertionError("unreachable")

    def eval(self, expr: str, timeout: float = 10.0) -> object:
        """The value of ``expr`` on the board, through its repr (literals only).

        The repr comes back with its length and check; a mismatch (the link
        garbled the answer) reads it again once from the board, where it is kept,
        so ``expr`` runs once; twice is a LinkError.
        """
        out = self.exec(f"_hil_r=repr({expr})\n{_PRINT_CHECKED}", timeout)
        for attempt in (1, 2):
            text = _checked_line(out)
            if text is not None:
                break
            if attempt == 2:
                raise LinkError(
                    f"eval of {expr!r} on {self.port}: the answer came back damaged twice "
                    f"({out.strip()[-120:]!r}); the serial link corrupts bytes: check the "
                    f"cable, the USB hub and the baud rate, then run again")
            out = self.exec(_PRINT_CHECKED, timeout)
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError) as e:
            raise ProtocolError(f"eval of {expr!r} on {self.port}: the board printed "
                                f"{text[:200]!r}, not a Python literal") from e

    def _link_error(self, e: DeviceError, what: str) -> HilError:
        return LinkError(
            f"{what} reached the board on {self.port} damaged twice (its length and byte "
            f"sum did not match: {e.traceback.strip().splitlines()[-1][:120]!r}); nothing of it "
            f"ran. The serial link corrupts or loses bytes (or the board, too busy to read, "
            f"let its receive buffer overflow): check the cable, the USB hub and the baud "
            f"rate, then run again")

    def start(self, code: str) -> None:
        """Launch ``code`` in the raw REPL and return at once; wait() or interrupt() it."""
        with self._guard(10.0, f"starting code on {self.port}", watch_reset=True):
            self._start(code)

    def _start(self, code: str) -> None:
        if self.state is State.RUNNING:
            raise ProtocolError(f"start/exec on {self.port}: code started earlier is still "
                                f"running; wait() for it or interrupt() it first")
        self._enter_raw()
        try:
            data = code.encode()
            if len(data) <= SHORT_CODE:
                self._exec_short(data)
            else:
                self._t.exec_raw_no_follow(code)
        except TransportError as e:
            self.state = State.UNKNOWN
            raise self._reset_or(ProtocolError(
                f"sending code to {self.port}: {e}; last bytes "
                f"{bytes(self._link.tail[-80:])!r}")) from e
        self.state = State.RUNNING

    def _exec_short(self, data: bytes) -> None:
        """Plain raw-REPL exec of short code: the prompt, code + Ctrl-D, then "OK"."""
        self._link.read_until(b">")  # the raw prompt left pending by the last command
        self._link.write(data + b"\x04")
        if (ok := self._link.read(2)) != b"OK":
            raise TransportError(f"could not exec command (response: {ok!r})")

    def wait(self, timeout: float) -> str:
        """Wait for started code (or a main.py running after a reset) to finish; its stdout."""
        if self.state is State.BOOTING:
            with self._guard(timeout, f"waiting for main.py on {self.port} to finish",
                             "main.py still runs; Repl.interrupt() stops it", watch_reset=False):
                text = self._link.read_until(PROMPT)
            self.state = State.FRIENDLY
            out = _text(text)
            _raise_friendly_traceback(out, self.port)
            return _strip_banner(out)
        if self.state is not State.RUNNING:
            raise ProtocolError(f"wait on {self.port}: nothing was started (state "
                                f"{self.state.value})")
        with self._guard(timeout, f"waiting for code started on {self.port} to finish",
                         "it is still running; Repl.interrupt() stops it", watch_reset=True):
            return self._follow()

    def read_output(self, timeout: float) -> tuple[bytes, bool]:
        """What started code printed since the last call: ``(bytes, still_running)``.

        Waits up to ``timeout`` for the first byte; a quiet board is ``(b"",
        True)``, not an error (the caller decides what silence means). Reads
        no further than the end of the code's stdout (the raw REPL's first
        0x04, docs/protocols.md §3.2): that and its stderr stay for wait().
        """
        if self.state is not State.RUNNING:
            raise ProtocolError(f"read_output on {self.port}: nothing was started (state "
                                f"{self.state.value})")
        self._check_open()
        with self._link.waiting(timeout, f"reading the output of code on {self.port}"):
            try:
                self._link.wait_for_data()
            except BoardTimeoutError:
                return b"", True
        data = self._link.drain()
        end = data.find(b"\x04")
        if end >= 0:
            self._link.unread(data[end:])
            return data[:end], False
        return data, True

    def interrupt(self, timeout: float = 5.0) -> str:
        """Ctrl-C the running code; its output. KeyboardInterrupt is not an error here."""
        self._check_open()
        if self.state is State.RUNNING:
            with self._guard(timeout, f"interrupting code running on {self.port}",
                             KBD_HINT, watch_reset=True) as deadline:
                while True:
                    self._link.write(b"\x03")
                    try:
                        with self._link.waiting(min(INTERRUPT_ROUND, deadline.time_left()),
                                                deadline.what, deadline.hint):
                            out = self._link.read_until(b"\x04")
                        break
                    except BoardTimeoutError as e:
                        if deadline.expired():
                            raise self._link.timeout_error(deadline, awaiting=b"\x04") from e
                err = self._link.read_until(b"\x04")
            self.state = State.RAW
            stdout, stderr = _text(out[:-1]), _text(err[:-1])
            if stderr and "KeyboardInterrupt" not in stderr:
                raise _device_error(stderr, self.port, stdout)
            return stdout
        # friendly mode, or main.py running after a reset
        seen = _printable(self._to_friendly(timeout))
        head = seen.split("Traceback (most recent call last)")[0]
        return _strip_banner(head)

    def _follow(self) -> str:
        try:
            out, err = self._t.follow(timeout=None)
        except TransportError as e:
            self.state = State.UNKNOWN
            raise self._reset_or(ProtocolError(
                f"reading the result from {self.port}: {e}")) from e
        self.state = State.RAW
        stdout, stderr = _text(out), _text(err)
        if stderr:
            raise _device_error(stderr, self.port, stdout)
        return stdout

    # -- resets --------------------------------------------------------------------
    def soft_reset(self, run_main: bool = False, timeout: float = 10.0) -> str:
        """Ctrl-D: from the friendly REPL main.py runs, from the raw REPL it doesn't.

        Returns the boot text. With ``run_main`` main.py may still be running
        afterwards (state BOOTING): wait() or interrupt() it.
        """
        with self._guard(timeout, f"soft reset of the board on {self.port}",
                         "is boot.py stuck?", watch_reset=False):
            if run_main:
                if self.state is not State.FRIENDLY:
                    self._to_friendly(timeout)
                self._link.write(b"\x04")
                self._link.read_until(SOFT_REBOOT)
                text, at_prompt = self._link.collect(PROMPT, BOOT_QUIET)
                self.state = State.FRIENDLY if at_prompt else State.BOOTING
                return _strip_banner(_text(text))
            self._enter_raw()
            self._link.read_until(b">")
            self._link.write(b"\x04")
            self._link.read_until(SOFT_REBOOT)
            text = self._link.read_until(RAW_BANNER)
            self.state = State.RAW
            return _text(text[: -len(RAW_BANNER)])

    def hard_reset(self, timeout: float = 10.0) -> str:
        """Reset the chip: EN through RTS where the port has lines, else machine.reset().

        Returns the boot text up to the prompt; if main.py keeps running
        (nothing printed for BOOT_QUIET s), returns what came so far and the
        state is BOOTING (wait() or interrupt() next).
        """
        self._check_open()
        with self._guard(timeout, f"hard reset of the board on {self.port}",
                         "the board did not restart: check the cable and power",
                         watch_reset=False):
            if has_modem_lines(self._serial):
                self._link.drain()  # anything pending is from before the reset
                # NodeMCU: RTS -> EN, DTR -> GPIO0 through two transistors; DTR
                # released so the chip boots from flash (esptool docs,
                # boot-mode-selection).
                self._serial.dtr = False
                self._serial.rts = True
                time.sleep(RESET_PULSE)  # the pulse width, not a synchronisation
                self._serial.rts = False
            else:
                self._start("import machine\nmachine.reset()")
            self.state = State.BOOTING
            self._link.wait_for_data()  # the board speaks again (boot text)
            text, at_prompt = self._link.collect(PROMPT, BOOT_QUIET)
            if text.startswith(b"\x04") and b"Traceback" in text.split(b"\x04>")[0]:
                # the raw REPL answered: machine.reset() raised instead of resetting
                self.state = State.RAW
                raise _device_error(_printable(text.split(b"\x04>")[0]), self.port, "")
        self.state = State.FRIENDLY if at_prompt else State.BOOTING
        return _strip_banner(_printable(text))

    # -- identity ------------------------------------------------------------------
    def read_banner(self, timeout: float = 10.0) -> str:
        """The banner line, e.g. "MicroPython v1.24.1 on 2024-11-29; ESP module with ESP8266"."""
        with self._guard(timeout, f"reading the banner of the board on {self.port}",
                         watch_reset=False):
            if self.state is not State.FRIENDLY:
                self._to_friendly(timeout)
            self._link.write(b"\x02")
            text = _text(self._link.read_until(PROMPT))
        match = BANNER_RE.search(text)
        if not match:
            raise ProtocolError(f"banner of the board on {self.port}: Ctrl-B printed "
                                f"{text[-200:]!r}, no MicroPython banner; is this MicroPython?")
        return match.group(0)

    def version(self) -> str:
        """The firmware's version tag, e.g. "v1.24.1"."""
        match = BANNER_RE.search(self.read_banner())
        assert match is not None  # read_banner checked it
        return match.group(1)

    # -- files -----------------------------------------------------------------------
    def fs_listdir(self, path: str = "/") -> list[str]:
        return [e.name for e in self._fs("listing", path, self._t.fs_listdir, path)]

    def fs_read(self, path: str) -> bytes:
        return bytes(self._fs("reading", path, self._t.fs_readfile, path))

    def fs_write(self, path: str, data: bytes,
                 progress: Callable[[int, int], None] | None = None) -> None:
        """Write ``data`` to ``path``; ``progress(written, len(data))`` after each chunk."""
        timeout = 10.0 + len(data) / 500  # raw-paste of repr'd chunks: ~1-2 kB/s at 115200
        self._fs("writing", path, self._t.fs_writefile, path, data, timeout=timeout,
                 progress_callback=progress)

    def fs_sha256(self, path: str) -> str | None:
        """The file's SHA-256 as hex, None if it is missing. A digest is 32 bytes: an answer
        of another length lost bytes on the link (not the file's fault), so it is read once
        more, then a LinkError."""
        for _ in range(2):
            try:
                digest = self._fs("hashing", path, self._t.fs_hashfile, path, "sha256")
            except FileNotFoundError:
                return None
            if len(digest) == 32:
                return digest.hex()
        raise LinkError(
            f"hashing {path} on {self.port}: the board's SHA-256 came back as {len(digest)} "
            f"bytes twice, not 32: the serial link loses bytes: check the cable, the USB hub and "
            f"the baud rate, then run again")

    def fs_remove(self, path: str) -> None:
        self._fs("removing", path, self._t.fs_rmfile, path)

    def fs_mkdir(self, path: str) -> None:
        """Create a directory; an existing one is fine."""
        try:
            self._fs("creating directory", path, self._t.fs_mkdir, path)
        except FileExistsError:
            pass

    def _fs(self, doing: str, path: str, fn, *args, timeout: float = 10.0, **kwargs):
        with self._guard(timeout, f"{doing} {path} on the board on {self.port}",
                         watch_reset=True):
            self._enter_raw()
            try:
                result = fn(*args, **kwargs)
            except HilError:  # ours (a timeout is also an OSError), never the device's
                raise
            except TransportExecError as e:  # not an OSError
                self.state = State.RAW
                if "MemoryError" in e.error_output:  # the board's own state, not the link
                    raise _device_error(e.error_output, self.port, "") from e
                # mpremote's own file code raised: as sent it does not, so the link
                # changed it on the way (a garbled byte makes a SyntaxError or NameError)
                raise LinkError(
                    f"{doing} {path} on {self.port}: mpremote's file code raised "
                    f"{e.error_output.strip().splitlines()[-1][:120]!r} on the board; as sent "
                    f"it cannot, so the serial link damaged it: check the cable, the USB hub "
                    f"and the baud rate, then run again") from e
            except OSError as e:  # mpremote's mapping of the device's OSError
                self.state = State.RAW
                cls = DeviceFileNotFoundError if e.errno == errno.ENOENT else DeviceOSError
                raise cls(e.errno or 0, f"{doing} {path} on {self.port}: "
                          f"{errno.errorcode.get(e.errno or 0, e.errno)}") from e
            except TransportError as e:
                self.state = State.UNKNOWN
                raise self._reset_or(ProtocolError(f"{doing} {path} on {self.port}: {e}")) from e
            except (UnicodeError, ValueError, SyntaxError) as e:  # mpremote parsing damaged output
                self.state = State.UNKNOWN
                raise LinkError(
                    f"{doing} {path} on {self.port}: the board's answer arrived damaged ({e}); "
                    f"the serial link corrupts bytes: check the cable, the USB hub and the baud "
                    f"rate, then run again") from e
            self.state = State.RAW
            return result

    # -- plumbing --------------------------------------------------------------------
    def _reset_or(self, error: HilError) -> HilError:
        """The error to raise for a protocol surprise: a BoardResetError if the board's boot
        text follows within RESET_LOOK s (the surprise was its first byte), else ``error``."""
        if not self._link.watch_reset:
            return error
        doing = self._link.deadline.what if self._link.deadline else f"talking to {self.port}"
        try:
            with self._link.waiting(RESET_LOOK, doing, detached=True):
                self._link.read_until(b"\x00\xff\x00never\xff")  # only the watch ends it early
        except BoardResetError as reset:
            return reset
        except (BoardTimeoutError, PortError):
            pass
        return error


    def _check_open(self) -> None:
        if self._closed:
            raise PortError(f"{self.port}: this Repl was closed; open a new one")

    def _guard(self, timeout: float, what: str, hint: str = "",
               watch_reset: bool | None = None, detached: bool = False) -> _Guard:
        """A deadline for one call; ``watch_reset``: boot text raises BoardResetError
        (True: code runs or a file moves, no restart expected; False: a reset or an
        interrupt may be under way; None: as the enclosing call)."""
        self._check_open()
        return _Guard(self, timeout, what, hint, watch_reset, detached)


class _Guard:
    """A deadline for one public call. On failure the REPL state is unknown, except that
    a timeout while code runs leaves it running (interrupt() can still stop it)."""

    def __init__(self, repl: Repl, timeout: float, what: str, hint: str,
                 watch_reset: bool | None = None, detached: bool = False) -> None:
        self.repl = repl
        self.cm = repl._link.waiting(timeout, what, hint, detached=detached)
        link = repl._link
        self.watch = link.watching_reset(link.watch_reset if watch_reset is None else watch_reset)

    def __enter__(self):
        self.watch.__enter__()
        return self.cm.__enter__()

    def __exit__(self, exc_type, exc, tb) -> None:
        self.cm.__exit__(exc_type, exc, tb)
        self.watch.__exit__(exc_type, exc, tb)
        if exc_type is None or issubclass(exc_type, DeviceError):
            return
        running = (State.RUNNING, State.BOOTING)
        if issubclass(exc_type, BoardTimeoutError) and self.repl.state in running:
            return
        self.repl.state = State.UNKNOWN


SEAL_BROKEN = "hil: link check failed"
# Prints _hil_r, then its length and check (``_check``) on a line of their own.
_PRINT_CHECKED = ("print(_hil_r)\nimport hashlib as _hil_h\nprint('#hil', len(_hil_r), "
                  "int.from_bytes(_hil_h.sha256(_hil_r.encode()).digest()[:4], 'big'))")


def _check(data: bytes) -> int:
    """The first 4 bytes of ``data``'s SHA-256, as the board computes it (``hashlib``
    is in every ESP8266 build). A plain byte sum let two bit flips that cancel out
    through: at a bad link's rates they come, a damaged exchange in a few hundred."""
    return int.from_bytes(hashlib.sha256(data).digest()[:4], "big")


_GENUINE_IN_WRAPPER = ("MemoryError", "KeyboardInterrupt")


def _sealed(code: str) -> str:
    """``code`` as a bytes literal that runs only if it arrived intact (``_check``).

    A flipped bit or a lost byte changes the check, and no pattern of faults
    cancels out as it could in a byte sum. The wrapper runs ``exec`` in the
    REPL's globals, so definitions persist as if the code had been pasted.
    """
    data = code.encode()
    return (f"import hashlib as _hil_h\n_hil_s={data!r}\n"
            f"if int.from_bytes(_hil_h.sha256(_hil_s).digest()[:4],'big')!={_check(data)}:"
            f"raise OSError('{SEAL_BROKEN}')\n"
            f"exec(_hil_s)\n")


def _seal_broken(e: DeviceError) -> bool:
    """The error came from the wrapper (a damaged seal), not from the code inside it."""
    tb = e.traceback or str(e)
    if SEAL_BROKEN in tb:
        return True
    if '"<string>"' in tb:
        return False  # raised by the code itself, which arrived intact
    # the wrapper failed before exec() ran the code: as sent it cannot (a SyntaxError,
    # a NameError, or a name the link garbled too), unless the board ran out of memory
    return e.exc_name not in _GENUINE_IN_WRAPPER


def _impossible_syntax_error(e: DeviceError, code: str) -> bool:
    """A SyntaxError for code that compiles here: the board got other bytes than were sent."""
    if "SyntaxError" not in (e.traceback or str(e)):
        return False
    try:
        compile(code, "<hil>", "exec")
    except (SyntaxError, ValueError):
        return False  # MicroPython-only syntax, or really broken: the board's word stands
    return True


def _checked_line(out: str) -> str | None:
    """The line before ``#hil LEN CHECK`` if the pair matches it, else None."""
    lines = [ln for ln in out.replace("\r", "").split("\n") if ln != ""]
    if len(lines) < 2 or not lines[-1].startswith("#hil "):
        return None
    try:
        _tag, length, total = lines[-1].split()
        length_n, total_n = int(length), int(total)
    except ValueError:
        return None
    text = lines[-2]
    if len(text) != length_n or _check(text.encode()) != total_n:
        return None
    return text


def _garbled(data: bytes) -> bool:
    """Bytes that are not REPL text: too many outside printable ASCII and its controls."""
    if len(data) < 8:
        return False
    text = set(range(0x20, 0x7F)) | {0x04, 0x08, 0x09, 0x0A, 0x0D, 0x1B}
    odd = sum(1 for b in data if b not in text)
    return odd > GARBAGE_SHARE * len(data)


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace").replace("\r\n", "\n")


def _printable(data: bytes) -> str:
    """Friendly-mode output without raw-REPL framing left over (EOF markers, prompts)."""
    return _text(data.replace(b"\x04", b""))


def _strip_banner(text: str) -> str:
    """Boot/program output without the trailing banner and prompt."""
    match = BANNER_RE.search(text)
    if match:
        text = text[: match.start()]
    text = text.removesuffix(">>> ")
    return text


def _device_error(stderr: str, port: str, stdout: str) -> DeviceError:
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    last = lines[-1] if lines else stderr.strip()
    exc_name = last.split(":", 1)[0].strip()
    if not exc_name.isidentifier():
        exc_name = ""
    err = DeviceError(f"the board on {port} raised {last}\n{stderr.rstrip()}",
                      exc_name=exc_name, traceback=stderr)
    err.stdout = stdout  # type: ignore[attr-defined]
    return err


def _raise_friendly_traceback(out: str, port: str) -> None:
    """main.py ended with an exception (friendly mode prints its traceback)."""
    marker = "Traceback (most recent call last):"
    if marker in out:
        tb = marker + out.split(marker, 1)[1]
        tb = _strip_banner(tb)
        if "KeyboardInterrupt" not in tb:
            raise _device_error(tb, port, out.split(marker, 1)[0])
