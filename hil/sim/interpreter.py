"""`MicroPythonProcess`: the chip running MicroPython, as a real unix-port interpreter.

The firmware (``hil/sim/firmware/*.py``: REPLs, ``machine``, the flash
filesystem) runs inside ``micropython -X heapsize=N pyexec-entry.py CONFIG``;
this class is the host side: it spawns that process, moves UART bytes in and
out, answers the pin bus and turns resets into what the chip does.

Child file descriptors:

- 0: UART RX (a pipe; non-blocking on the firmware side), 1: UART TX,
  2: stderr (logged, never on the UART), 3: pin-bus requests, 4: replies,
  5: Ctrl-C offers (hil/sim/kbd.py).

Known behaviours modelled:

- Output cooking: the ESP8266 port sends ``print()`` output and tracebacks
  through ``mp_hal_stdout_tx_strn_cooked`` (every ``\\n`` becomes ``\\r\\n``);
  the unix port does not cook, so every ``\\n`` on fd 1 becomes ``\\r\\n``
  here. Bytes that must go out exactly (the REPL's own ``\\r\\n``-free echo of
  a ``\\n``, ``sys.stdout.buffer.write``) travel as ``tx HEX`` requests on the
  pin bus; fd 1 is drained first, so the order on the wire is kept.
- RX capacity: the chip holds 128 bytes in the UART FIFO plus what the RX
  interrupt moved into stdin_ringbuf: 256 bytes, one kept free (UART0 is the
  REPL's dupterm, so ports/esp8266/uart.c uart0_rx_intr_handler fills
  esp_mphal.c's stdin_ringbuf_array[256], not the 16-byte uart_ringbuf).
  While code runs, bytes beyond what the firmware has not read yet are dropped
  (FIONREAD on the pipe), so a long paste into a busy board loses bytes as on
  the board, while raw-paste flow control (two 128-byte windows in flight)
  never does, however late the host schedules the interpreter. While the REPL
  waits for input nothing is dropped: the board reads as fast as bytes arrive,
  and a lag here is the host's scheduling, not the chip's.
- Ctrl-C: while the firmware runs Python code it arms an interrupt char
  (``intr C`` on the pin bus, pyexec.c's mp_hal_set_interrupt_char); that RX
  byte then becomes a KeyboardInterrupt instead of data, as the UART ISR makes
  it: offered on fd 5 and taken by the firmware where that is safe, SIGINT for
  code that never looks (hil/sim/kbd.py). While the REPL itself reads, Ctrl-C
  is a byte.
- Soft reset (Ctrl-D, ``machine.soft_reset()``, ``sys.exit()`` at the REPL)
  is a *new* process (fresh interpreter state, as on the board), which keeps
  the REPL mode and any RX bytes the old one had read but not used.
  ``machine.reset()`` ends the process and reports ``on_exit("reset")``; an
  unexpected end reports ``on_exit("crash")``.
- Heap: the ESP8266 port's heap is ``static char heap[38 * 1024]``
  (ports/esp8266/main.c), which gc_init() splits into 38,016 bytes of 16-byte
  blocks plus its tables (py/gc.c, 32-bit); the runtime's own objects take a
  little, so about 36 kB are free at the prompt (``heap_bytes``, default
  ``hil.sim.twin.DEFAULT_HEAP``). Here the firmware's code (precompiled,
  hil/sim/frozen.py) shares the interpreter's heap: the process gets
  ``FIRMWARE_HEAP`` more, and at boot the firmware sets everything aside but
  ``heap_bytes``, leaving the user's share as one piece at the top of the heap
  (firmware/startup.py); the REPL's compiler works in the set-aside part
  (firmware/pyexec.py). Objects are twice a board's size on this 64-bit
  interpreter (bytes, strings and bytearrays are not).

Pin-bus requests (one ASCII line each; docs/architecture.md): ``cfg G MODE
PULL VALUE``, ``w G V``, ``r G``, ``intr C``, ``reset``, ``t``, and, private
to this module and the firmware, ``tx HEX`` (raw UART bytes, reply ``ok``) and
``soft MODE HEX|-`` (soft reset; no reply, the process is replaced).
"""

from __future__ import annotations

import array
import fcntl
import hashlib
import json
import logging
import os
import select
import signal
import tempfile
import termios
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from hil.chip import esp8266
from hil.sim.frozen import compiled_dir
from hil.sim.kbd import CtrlC
from hil.sim.micropython_bin import find_micropython
from hil.sim.spawn import spawn

log = logging.getLogger(__name__)

FIRMWARE_DIR = Path(__file__).resolve().parent / "firmware"
ENTRY = FIRMWARE_DIR / "pyexec-entry.py"
# UART RX FIFO (128 bytes, ports/esp8266/uart.c) + the stdin ring buffer
# (esp_mphal.c: stdin_ringbuf_array[256], which holds 255: py/ringbuf.h). Raw-paste
# lets a host send two windows (2 x 128) before the board reads a byte
# (docs/protocols.md §3.3), so anything smaller loses pasted code under load.
RX_CAPACITY = 128 + 255
# The firmware's own objects (about 75 kB measured, .mpy, 64-bit), the REPL's 24 kB
# (firmware/pyexec.py lend) and a margin; what is left beyond the user's share is set
# aside at boot (firmware/startup.py).
FIRMWARE_HEAP = 128 * 1024
STOP_TIMEOUT = 5.0  # s to wait for the helper threads after the process is killed
MODES = ("raw", "friendly")  # pyexec.MODE_RAW = 0, MODE_FRIENDLY = 1


class PinBus(Protocol):
    def configure(self, gpio: int, mode: str, pull: bool, value: int | None) -> None: ...
    def write(self, gpio: int, value: int) -> None: ...
    def read(self, gpio: int) -> int: ...
    def chip_reset(self) -> None: ...


class FirmwareLike(Protocol):
    version: str
    build_date: str
    board: str
    mcu: str

    def banner(self) -> str: ...
    def version_tuple(self) -> tuple[int, int, int]: ...


def _fionread(fd: int) -> int:
    buf = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, buf, True)
    return buf[0]


def _high(fd: int) -> int:
    """Move `fd` to >= 10 (close-on-exec), so the child's dup2 to 0-4 never clobbers a source."""
    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return new


_WARNED: set[tuple[str, str]] = set()


def _warn_if_newer(executable: str, firmware_version: str) -> None:
    """Once per interpreter and firmware version: say when the interpreter is newer than the
    firmware it presents (programs see the firmware's version; newer features still work)."""
    key = (executable, firmware_version)
    if key in _WARNED:
        return
    _WARNED.add(key)
    from hil.sim.micropython_bin import describe_interpreter

    line = describe_interpreter(executable, firmware_version)
    if "newer than the flashed" in line:
        log.warning("the twin's interpreter is %s", line)


def _reset_cause(rst_cause: int) -> int:
    # ROM rst cause (1 power-on, 2 EN pin / restart, 4 watchdog) -> machine.reset_cause()
    # (ports/esp8266/modmachine.c: PWRON_RESET 0, WDT_RESET 1, HARD_RESET 6)
    return {1: 0, 2: 6, 4: 1}.get(rst_cause, 6)


class _Child:
    """One interpreter process and its pipes (a soft reset makes a new one)."""

    def __init__(self, pid: int, tx_r: int, req_r: int, rep_w: int, err_r: int) -> None:
        self.pid = pid
        self.tx_r = tx_r
        self.req_r = req_r
        self.rep_w = rep_w
        self.err_r = err_r
        self.exit_reason: str | None = None  # "reset" | "soft" | None (crash unless stopped)
        self.threads: list[threading.Thread] = []
        self.status: int | None = None
        self.stderr_tail: deque[str] = deque(maxlen=40)
        self.kbd: CtrlC | None = None


class MicroPythonProcess:
    """The chip running MicroPython (docs/architecture.md, "Interpreter")."""

    def __init__(
        self,
        *,
        firmware: FirmwareLike,
        flash_path: Path,
        pins: PinBus,
        on_tx: Callable[[bytes], None],
        on_exit: Callable[[str], None],
        heap_bytes: int = 36 * 1024,
        rst_cause: int = 2,
        micropython: str | None = None,
        on_stall: Callable[[int], None] | None = None,
    ) -> None:
        """`on_stall(ms)`: the host left the process unscheduled for `ms` (hal.stalled)."""
        self.firmware = firmware
        self.flash_path = Path(flash_path)
        self.pins = pins
        self.on_tx = on_tx
        self.on_exit = on_exit
        self.on_stall = on_stall
        self.heap_bytes = heap_bytes
        self.rst_cause = rst_cause
        self.executable = find_micropython(micropython)
        self._mpy_dir = compiled_dir()
        self._lock = threading.Lock()  # rx() vs `intr`: no SIGINT after `intr -1` is answered
        self._tx_lock = threading.Lock()  # fd-1 bytes vs `tx` bytes: one order on the wire
        self._child: _Child | None = None
        self._intr = -1
        self._stopped = False
        self._started = False
        self._mode = "friendly"
        self._boot = "hard"
        self._preload = ""
        self._tmp = tempfile.TemporaryDirectory(prefix="hil-mp-")
        self._rx_r = self._rx_w = -1
        self.dropped_rx = 0  # bytes lost to RX overrun (for tests and /state)

    # -- public -----------------------------------------------------------------------

    def start(self) -> None:
        """Boot: mount the filesystem (first boot: mkfs + boot.py), boot.py, main.py, REPL."""
        if self._started:
            raise RuntimeError("MicroPythonProcess.start() called twice")
        self._started = True
        _warn_if_newer(self.executable, self.firmware.version)
        r, w = os.pipe()
        self._rx_r, self._rx_w = _high(r), _high(w)
        os.set_blocking(self._rx_r, False)  # the firmware polls; shared file description
        self._spawn()

    def rx(self, data: bytes) -> None:
        """Bytes that reached the chip's UART RX."""
        with self._lock:
            child = self._child
            if child is None or self._stopped:
                return
            try:
                # Only code that runs can leave the FIFO unread; while the REPL waits
                # (the interrupt char disarmed) the board reads as fast as bytes come,
                # whereas this process may merely not have been scheduled yet.
                room = RX_CAPACITY - _fionread(self._rx_r) if self._intr >= 0 else 1 << 30
            except OSError:
                return
            out = bytearray()
            for b in data:
                if b == self._intr:
                    if out:
                        self._write_rx(out)
                        out = bytearray()
                    if child.kbd is not None:
                        child.kbd.press()
                    continue
                if room > 0:
                    out.append(b)
                    room -= 1
                else:
                    self.dropped_rx += 1
            if out:
                self._write_rx(out)

    def stop(self) -> None:
        """Power cut / reset: kill at once."""
        with self._lock:
            self._stopped = True
            child = self._child
        if child is not None:
            self._kill(child)
            me = threading.current_thread()
            deadline = time.monotonic() + STOP_TIMEOUT
            for t in child.threads:
                if t is not me:
                    t.join(max(0.0, deadline - time.monotonic()))
            self._reap(child)
        for fd in (self._rx_r, self._rx_w):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._rx_r = self._rx_w = -1
        self._tmp.cleanup()

    @property
    def pid(self) -> int | None:
        child = self._child
        return child.pid if child is not None else None

    # -- process ----------------------------------------------------------------------

    def _config(self) -> dict[str, object]:
        fw = self.firmware
        mac, uid = self._identity()
        return {
            "version": fw.version,
            "build_date": fw.build_date,
            "banner_name": f"MicroPython {fw.version} on {fw.build_date}",
            "machine": f"{fw.board} with {fw.mcu}",
            "version_tuple": list(fw.version_tuple()),
            "flash_path": str(self.flash_path.resolve()),
            "fs_start": esp8266.FS_START,
            "fs_end": esp8266.FS_END,
            "flash_size": esp8266.FLASH_SIZE,
            "rst_cause": self.rst_cause,
            "reset_cause": _reset_cause(self.rst_cause),
            "heap": self.heap_bytes,
            "mpy_dir": str(self._mpy_dir) if self._mpy_dir else "",
            "mac": list(mac),
            "unique_id": list(uid),
            "boot": self._boot,
            "mode": self._mode,
            "rx": self._preload,
        }

    def _identity(self) -> tuple[bytes, bytes]:
        """MAC and machine.unique_id() (the chip id, little-endian: system_get_chip_id())."""
        doc = self.flash_path.parent / "twin.json"
        try:
            if doc.exists():
                from hil.sim.identity import Identity

                ident = Identity.load_or_create(doc)
                return ident.mac, ident.chip_id.to_bytes(4, "little")
        except Exception:  # a damaged twin.json is the twin's business, not the firmware's
            log.exception("reading %s", doc)
        h = hashlib.sha256(str(self.flash_path.resolve()).encode()).digest()
        mac = bytes.fromhex("18fe34") + h[:3]
        return mac, bytes((h[2], h[1], h[0], 0))

    def _spawn(self) -> None:
        cfg_path = Path(self._tmp.name) / "config.json"
        cfg_path.write_text(json.dumps(self._config()))
        tx_r, tx_w = (_high(fd) for fd in os.pipe())
        req_r, req_w = (_high(fd) for fd in os.pipe())
        rep_r, rep_w = (_high(fd) for fd in os.pipe())
        os.set_blocking(rep_r, False)  # the firmware polls its replies (hal.call)
        err_r, err_w = (_high(fd) for fd in os.pipe())
        kbd_r, kbd_w = (_high(fd) for fd in os.pipe())
        os.set_blocking(kbd_r, False)
        os.set_blocking(kbd_w, False)
        argv = [self.executable, "-X", f"heapsize={self.heap_bytes + FIRMWARE_HEAP}", str(ENTRY), str(cfg_path)]
        env = dict(os.environ)
        env.pop("MICROPYPATH", None)
        try:
            # A session of its own: a Ctrl-C typed at the terminal running `hil sim` (or
            # pytest) must stop the host, not raise KeyboardInterrupt on the virtual board;
            # only the UART's interrupt char (our own SIGINT) may do that. spawn() also
            # makes the kernel kill it if this process dies (hil/sim/spawn.py).
            pid = spawn(
                self.executable,
                argv,
                env,
                {0: self._rx_r, 1: tx_w, 2: err_w, 3: req_w, 4: rep_r, 5: kbd_r},
                setsid=True,
            )
        finally:
            for fd in (tx_w, req_w, rep_r, err_w, kbd_r):
                os.close(fd)
        child = _Child(pid, tx_r, req_r, rep_w, err_r)
        child.kbd = CtrlC(pid, kbd_w)
        child.threads = [
            threading.Thread(target=self._tx_loop, args=(child,), name=f"mp-tx-{pid}", daemon=True),
            threading.Thread(target=self._bus_loop, args=(child,), name=f"mp-bus-{pid}", daemon=True),
            threading.Thread(target=self._err_loop, args=(child,), name=f"mp-err-{pid}", daemon=True),
        ]
        with self._lock:
            if self._stopped:  # stop() ran while a soft reset was starting this one
                self._kill(child)
                stopped = True
            else:
                self._child = child
                self._intr = -1
                stopped = False
        if stopped:
            self._reap(child)
            for fd in (tx_r, req_r, rep_w, err_r):
                os.close(fd)
            return
        for t in child.threads:
            t.start()
        child.kbd.start()

    def _kill(self, child: _Child) -> None:
        try:
            os.kill(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def _reap(self, child: _Child) -> None:
        if child.status is None:
            try:
                _, child.status = os.waitpid(child.pid, 0)
            except ChildProcessError:
                child.status = -1
        if child.kbd is not None:
            child.kbd.close()

    def _write_rx(self, data: bytes | bytearray) -> None:
        try:
            os.write(self._rx_w, data)
        except OSError:
            pass

    # -- threads ----------------------------------------------------------------------

    def _drain_tx(self, child: _Child) -> bool:
        """Send everything waiting on fd 1 (cooked); False at end of file. Caller holds _tx_lock."""
        n = _fionread(child.tx_r)
        if n == 0:
            r, _, _ = select.select([child.tx_r], [], [], 0)
            if r:
                return os.read(child.tx_r, 4096) != b""  # readable with nothing queued: EOF
            return True
        data = os.read(child.tx_r, n)
        if data:
            self.on_tx(data.replace(b"\n", b"\r\n"))
        return True

    def _tx_loop(self, child: _Child) -> None:
        try:
            while True:
                select.select([child.tx_r], [], [])
                with self._tx_lock:
                    if not self._drain_tx(child):
                        break
        except Exception:
            log.exception("UART TX of the interpreter failed")
        finally:
            os.close(child.tx_r)
        # The process has ended (or closed fd 1): wait for it, then act like the chip.
        self._reap(child)
        for t in child.threads[1:]:
            t.join(STOP_TIMEOUT)
        with self._lock:
            stopped = self._stopped
            reason = child.exit_reason
        if stopped:
            return
        if reason == "soft":
            self._spawn()
            return
        with self._lock:
            self._child = None
        if reason == "reset":
            self.on_exit("reset")
        else:
            log.warning(
                "micropython exited unexpectedly (status %s); stderr tail:\n%s",
                child.status, "\n".join(child.stderr_tail),
            )
            self.on_exit("crash")

    def _err_loop(self, child: _Child) -> None:
        buf = b""
        try:
            while True:
                data = os.read(child.err_r, 4096)
                if not data:
                    break
                buf += data
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    text = line.decode(errors="replace")
                    child.stderr_tail.append(text)
                    log.debug("micropython[%d]: %s", child.pid, text)
        finally:
            os.close(child.err_r)

    def _bus_loop(self, child: _Child) -> None:
        buf = b""
        last: tuple[bytes, bytes] | None = None  # (request line, reply) of the last tagged call
        try:
            while True:
                data = os.read(child.req_r, 4096)
                if not data:
                    return
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if last is not None and line == last[0]:
                        # The firmware sent it again: a Ctrl-C ate (part of) the reply
                        # (hal.call). Answer again; do not do it twice.
                        os.write(child.rep_w, last[1])
                        continue
                    req = line.decode("ascii", errors="replace").split()
                    # "#N" tags a request; the reply echoes it so the firmware can drop
                    # a reply whose call a KeyboardInterrupt cut short (hal.call).
                    tag = req.pop(0) if req and req[0].startswith("#") else None
                    reply = self._serve(child, req)
                    if reply is not None:
                        out = (f"{tag} {reply}" if tag else reply).encode() + b"\n"
                        if tag:
                            last = (line, out)
                        os.write(child.rep_w, out)
        except OSError:
            pass  # the process is gone
        except Exception:
            log.exception("pin bus failed; killing the interpreter")
            self._kill(child)
        finally:
            os.close(child.req_r)
            os.close(child.rep_w)

    def _serve(self, child: _Child, req: list[str]) -> str | None:
        if not req:
            return "err"
        op, args = req[0], req[1:]
        if op == "r":
            return str(self.pins.read(int(args[0])))
        if op == "w":
            self.pins.write(int(args[0]), int(args[1]))
            return "ok"
        if op == "cfg":
            g, mode, pull, value = args
            self.pins.configure(int(g), mode, pull == "1", None if value == "-" else int(value))
            return "ok"
        if op == "tx":
            raw = bytes.fromhex(args[0]) if args else b""
            with self._tx_lock:
                while _fionread(child.tx_r) and self._drain_tx(child):
                    pass
                self.on_tx(raw)
            return "ok"
        if op == "intr":
            with self._lock:
                c = int(args[0])
                self._intr = c if 0 <= c <= 255 else -1
            if self._intr < 0 and child.kbd is not None:
                child.kbd.settled()  # the code has finished: no Ctrl-C is owed any more
            return "ok"
        if op == "took":  # the firmware raised the offered KeyboardInterrupt (hal.take_ctrl_c)
            if child.kbd is not None:
                child.kbd.settled()
            return "ok"
        if op == "t":
            return str(int(time.monotonic() * 1000))
        if op == "stall":  # the host did not run the process: its clock was held (hal.stalled)
            if self.on_stall is not None:
                self.on_stall(int(args[0]))
            return "ok"
        if op == "kbd":
            # a Ctrl-C that a scheduled callback caught (sched._kick): offer it again
            if child.kbd is not None:
                child.kbd.press()
            return "ok"
        if op == "reset":
            with self._lock:
                child.exit_reason = "reset"
            self._kill(child)  # the chip (on_exit) puts the pins back to their reset state
            return None
        if op == "wdt":  # the firmware cannot go on (pyexec._check_heap): a watchdog reset
            log.warning("the twin's interpreter cannot go on (%s): a Ctrl-C struck inside its "
                        "garbage collection; the chip restarts as its watchdog would",
                        " ".join(args) or "?")
            self._kill(child)  # exit_reason None: on_exit("crash"), a watchdog reset
            return None
        if op == "soft":
            with self._lock:
                child.exit_reason = "soft"
                self._boot = "soft"
                self._mode = MODES[int(args[0])]
                self._preload = "" if args[1] == "-" else args[1]
            self._kill(child)
            return None
        log.warning("unknown pin-bus request %r", req)
        return "err"
