"""The host side of the twin's USB cable: a pty (no modem lines) and an RFC2217 server.

Known behaviours (docs/protocols.md §5, §6; checked with pyserial 3.5, esptool 5.6, mpremote 1.29):

- pty: every modem ioctl fails with ENOTTY on Linux, so a pty is a board
  *without* the auto-reset circuit. Reading the master gives EIO whenever no
  slave fd is open, so the twin keeps its own slave fd open for its lifetime.
  `tcgetattr(master)` shows the slave's termios: that is how the twin learns
  the client's baud (custom rates show as BOTHER and need TCGETS2).
- The twin also watches the slave's inode with inotify (IN_OPEN/IN_CLOSE) to
  know whether a client has the port open: bytes the chip sends while nobody
  listens are lost, as with a closed USB-serial port, and the chip gets a
  hook for "the client closed the port" (see chip.py for the pty heuristics).
  The events are only a trigger, never counted: inotify merges identical
  consecutive events that are not read yet (inotify(7), "If successive output
  inotify events produced on the inotify file descriptor are identical ...
  a single event is output"), so two quick opens (say, a second client whose
  exclusive flock then fails with "busy") show as one open and two closes.
  After any close the twin looks for the slave in every process's
  /proc/PID/fd (its own slave fd excluded). An open is believed at once: the
  opener's fd may not be installed yet when the event is read. The kernel
  queues IN_OPEN before the client's open() returns, but the reader thread may
  not have run yet (a loaded host): bytes the chip sends while an event is
  queued wait for the reader (at most OPEN_EVENT_WAIT), so a client that opens
  the port and then resets the board sees the boot text from its first byte.
- RFC2217: pyserial's own `PortManager` answers every negotiation at once
  from a duck-typed port object whose `.dtr/.rts/.baudrate` setters drive the
  chip. TCP_NODELAY, or every one of esptool's ~190 reconfigures waits for
  Nagle. One client at a time: a second connection is closed at once (a real
  board's port is exclusive too), which pyserial reports on open.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import logging
import os
import select
import socket
import struct
import termios
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path

import serial
from serial import rfc2217

from hil.sim.uart import DEFAULT_BAUD, Uart

log = logging.getLogger(__name__)

# <asm-generic/ioctls.h> on x86_64/arm64: struct termios2 is 44 bytes.
TCGETS2 = 0x802C542A
BOTHER = 0o010000
_TERMIOS2 = struct.Struct("4I B 19s 2I")

_SPEEDS = {
    getattr(termios, name): int(name[1:])
    for name in dir(termios)
    if name.startswith("B") and name[1:].isdigit()
}

# <sys/inotify.h>
IN_OPEN = 0x20
IN_CLOSE_WRITE = 0x08
IN_CLOSE_NOWRITE = 0x10

# How long chip output waits for the reader thread to take a queued open/close event.
OPEN_EVENT_WAIT = 2.0


class PtyPort:
    """`/dev/pts/N` for clients; the twin holds the master and one slave fd."""

    name = "pty"

    def __init__(
        self,
        uart: Uart,
        *,
        link: Path | str | None = None,
        on_client: Callable[[bool], None] | None = None,
    ) -> None:
        self._uart = uart
        self._link = Path(link) if link else None
        self._on_client = on_client
        self._master = -1
        self._slave = -1
        self._inotify = -1
        self._wake_r, self._wake_w = -1, -1
        self._client = False  # a client has the slave open (see _any_client)
        self._last_baud = DEFAULT_BAUD  # the client's baud when its last bytes were read
        self._thread: threading.Thread | None = None
        self._fd_lock = threading.Lock()
        self._events_seen = threading.Condition()  # notified after each inotify read
        self.path = ""

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Create the pty (again after `stop()`: a replugged cable is a new /dev/pts/N)."""
        self._client = False
        self._last_baud = DEFAULT_BAUD
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        attrs = termios.tcgetattr(self._slave)
        attrs[4] = attrs[5] = termios.B115200
        termios.tcsetattr(self._slave, termios.TCSANOW, attrs)
        os.set_blocking(self._master, False)
        self.path = os.ttyname(self._slave)
        self._inotify = self._watch(self.path)
        self._wake_r, self._wake_w = os.pipe()
        if self._link is not None:
            tmp = self._link.with_name(f".{self._link.name}.{os.getpid()}.tmp")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            os.symlink(self.path, tmp)
            os.replace(tmp, self._link)
        self._uart.attach(self)
        self._thread = threading.Thread(target=self._run, name="pty-reader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._uart.detach(self)
        if self._wake_w >= 0:
            os.write(self._wake_w, b"x")
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        if self._link is not None:
            with contextlib.suppress(OSError):
                if self._link.is_symlink() and os.readlink(self._link) == self.path:
                    self._link.unlink()
        with self._fd_lock:  # deliver() must never write to a closed (or reused) fd number
            for fd in (self._master, self._slave, self._inotify, self._wake_r, self._wake_w):
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._master = self._slave = self._inotify = self._wake_r = self._wake_w = -1
            self.path = ""

    @property
    def client_open(self) -> bool:
        """Whether a client has the pty open (seen through inotify; True if unknown)."""
        if self._master < 0:
            return False  # no pty (stopped, or the cable is out)
        return self._inotify < 0 or self._client

    # -- HostEndpoint ------------------------------------------------------------------------

    @property
    def baud(self) -> int:
        """The client's baud as set on the slave (tcgetattr on the master reflects it)."""
        try:
            speed = termios.tcgetattr(self._master)[5]
        except (termios.error, OSError):
            return DEFAULT_BAUD
        if speed == BOTHER:
            try:
                buf = fcntl.ioctl(self._master, TCGETS2, bytes(_TERMIOS2.size))
                return int(_TERMIOS2.unpack(buf)[-1]) or DEFAULT_BAUD
            except OSError:
                return DEFAULT_BAUD
        return _SPEEDS.get(speed, DEFAULT_BAUD)

    def deliver(self, data: bytes) -> None:
        if not self._client:
            self._await_events()
        with self._fd_lock:
            if self._master < 0 or not self.client_open:
                return  # nobody has the port open: the bytes are lost, as on a closed tty
            try:
                os.write(self._master, data)
            except BlockingIOError:
                pass  # the client does not read: the OS buffer is full, later bytes are lost
            except OSError as e:
                if e.errno not in (errno.EIO, errno.EBADF):
                    raise

    # -- internals ---------------------------------------------------------------------------

    def _events_pending(self) -> bool:
        with self._fd_lock:
            if self._inotify < 0:
                return False
            try:
                return bool(select.select([self._inotify], [], [], 0)[0])
            except (OSError, ValueError):
                return False

    def _await_events(self) -> None:
        """Let the reader thread take a queued open event before bytes are judged unheard.

        Never on the reader thread itself (it is the one that takes them)."""
        if threading.current_thread() is self._thread:
            return
        deadline = time.monotonic() + OPEN_EVENT_WAIT
        with self._events_seen:
            while self._events_pending():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._events_seen.wait(min(left, 0.05))

    @staticmethod
    def _watch(path: str) -> int:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
            if fd < 0:
                return -1
            if libc.inotify_add_watch(fd, path.encode(), IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE) < 0:
                os.close(fd)
                return -1
            return fd
        except (OSError, AttributeError):
            return -1

    def _inotify_events(self) -> None:
        try:
            data = os.read(self._inotify, 4096)
        except BlockingIOError:
            return
        i = 0
        while i + 16 <= len(data):
            _wd, mask, _cookie, length = struct.unpack_from("iIII", data, i)
            i += 16 + length
            if mask & IN_OPEN:
                self._set_client(True)
            elif mask & (IN_CLOSE_WRITE | IN_CLOSE_NOWRITE):
                self._set_client(self._any_client())

    def _set_client(self, open_: bool) -> None:
        if open_ == self._client:
            return
        self._client = open_
        if not open_:
            # Drop what the client left unread (a reopened tty starts empty), but
            # never what it wrote: those bytes were on their way to the chip.
            with contextlib.suppress(termios.error, OSError):
                termios.tcflush(self._slave, termios.TCIFLUSH)
        if self._on_client:
            self._on_client(open_)

    def _any_client(self) -> bool:
        """Whether any process but the twin's own slave fd has the slave open (/proc/PID/fd)."""
        own = (os.getpid(), self._slave)
        try:
            procs = [e.name for e in os.scandir("/proc") if e.name.isdigit()]
        except OSError:
            return True  # cannot tell: keep delivering, as before a close was seen
        for pid in procs:
            try:
                fds = os.scandir(f"/proc/{pid}/fd")
            except OSError:
                continue  # gone, or another user's process (not visible)
            with fds:
                for fd in fds:
                    try:
                        target = os.readlink(fd.path)
                    except OSError:
                        continue
                    if target == self.path and (int(pid), int(fd.name)) != own:
                        return True
        return False

    def _run(self) -> None:
        fds = [self._master, self._wake_r] + ([self._inotify] if self._inotify >= 0 else [])
        while True:
            try:
                ready, _, _ = select.select(fds, [], [])
            except (OSError, ValueError):
                return
            if self._wake_r in ready:
                return
            # Bytes first, then open/close events: what a client wrote just before it
            # closed (esptool's last RUN_USER_CODE) reached the chip's UART before the
            # cable's far end went quiet, so the chip must see it before the close.
            if self._master in ready and not self._pump_master():
                return
            if self._inotify in ready:
                self._inotify_events()
                with self._events_seen:
                    self._events_seen.notify_all()

    def _pump_master(self) -> bool:
        """Move every byte the client has written to the UART; False when the pty is gone.

        Bytes are sent at the baud in force when they were written. termios only
        tells the baud now: if an open or close is pending, a new client may have
        changed it after these bytes were written (esptool's last command, then
        mpremote opening at 115200), so they keep the baud of the previous read.
        """
        events_pending = self._inotify >= 0 and bool(select.select([self._inotify], [], [], 0)[0])
        baud = self._last_baud if events_pending else self.baud
        self._last_baud = baud
        while True:
            try:
                data = os.read(self._master, 4096)
            except BlockingIOError:
                return True
            except OSError as e:
                return e.errno == errno.EIO  # no slave open: cannot happen, we hold one
            if not data:
                return True
            self._uart.from_host(data, baud, self.name)
            if len(data) < 4096:
                return True


class _LinesPort:
    """The duck-typed serial port `PortManager` drives: attributes in, chip lines out."""

    def __init__(self, server: Rfc2217Server) -> None:
        self._server = server
        self._baud = DEFAULT_BAUD
        self._dtr = False
        self._rts = False
        self.bytesize = serial.EIGHTBITS
        self.parity = serial.PARITY_NONE
        self.stopbits = serial.STOPBITS_ONE
        self.xonxoff = False
        self.rtscts = False
        self.break_condition = False
        # A NodeMCU's CP2102/CH340 has CTS/DSR/RI/CD unconnected.
        self.cts = self.dsr = self.ri = self.cd = False

    @property
    def baudrate(self) -> int:
        return self._baud

    @baudrate.setter
    def baudrate(self, value: int) -> None:
        if value <= 0:
            raise ValueError(f"not a valid baud rate: {value}")
        self._baud = int(value)

    @property
    def dtr(self) -> bool:
        return self._dtr

    @dtr.setter
    def dtr(self, value: bool) -> None:
        self._dtr = bool(value)
        self._server.lines_changed(self._dtr, self._rts)

    @property
    def rts(self) -> bool:
        return self._rts

    @rts.setter
    def rts(self, value: bool) -> None:
        self._rts = bool(value)
        self._server.lines_changed(self._dtr, self._rts)

    def reset_input_buffer(self) -> None:
        self._server.uart.purge_to_host()

    def reset_output_buffer(self) -> None:
        self._server.uart.purge_to_chip()


class Rfc2217Server:
    """`rfc2217://host:port`: one client at a time, DTR/RTS wired to the chip."""

    name = "rfc2217"

    def __init__(
        self,
        uart: Uart,
        *,
        on_lines: Callable[[bool, bool], None],
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.uart = uart
        self._on_lines = on_lines
        self._host = host
        self._port = port
        self._listener: socket.socket | None = None  # None while a client is connected
        self._client: socket.socket | None = None
        self._manager: rfc2217.PortManager | None = None
        self._lines = _LinesPort(self)
        self._send_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self._plugged = threading.Event()  # cleared while the cable is out (link fault unplug)

    @property
    def url(self) -> str:
        host, port = self.address
        if ":" in host:
            host = f"[{host}]"  # IPv6 literal in a URL
        return f"rfc2217://{host}:{port}"

    @property
    def address(self) -> tuple[str, int]:
        return (self._host, self._port)

    @property
    def client_connected(self) -> bool:
        return self._client is not None

    def start(self) -> None:
        self._listener = self._listen(self._port)
        self._port = self._listener.getsockname()[1]  # keep the same port for every client
        self._plugged.set()
        self.uart.attach(self)
        t = threading.Thread(target=self._accept_loop, name="rfc2217-accept", daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self) -> None:
        self._stopping = True
        self._plugged.set()  # wake the accept loop if it waits for a replug
        self.uart.detach(self)
        self._close_sockets()
        for t in self._threads:
            t.join(timeout=2.0)
        self._threads.clear()

    def unplug(self) -> None:
        """The cable is pulled: the client's connection drops and nobody listens until `plug()`."""
        self._plugged.clear()
        self._close_sockets()

    def plug(self) -> None:
        """The cable is back: the same URL answers again."""
        self._plugged.set()

    def _close_sockets(self) -> None:
        with self._state_lock:
            listener, client = self._listener, self._client
            self._listener = None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        if client is not None:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)

    # -- HostEndpoint ------------------------------------------------------------------------

    @property
    def baud(self) -> int:
        return self._lines.baudrate

    def deliver(self, data: bytes) -> None:
        if self._client is None:
            return  # nobody connected: the bytes are lost
        self.write(data.replace(b"\xff", b"\xff\xff"))  # IAC doubling (PortManager.escape)

    # -- PortManager's connection -----------------------------------------------------------

    def write(self, data: bytes) -> None:
        client = self._client
        if client is None:
            return
        with self._send_lock:
            try:
                client.sendall(data)
            except OSError:
                pass  # the reader notices the disconnect

    def lines_changed(self, dtr: bool, rts: bool) -> None:
        self._on_lines(dtr, rts)

    # -- internals ---------------------------------------------------------------------------

    def _listen(self, port: int) -> socket.socket:
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((self._host, port))
            s.listen(1)
        except OSError:
            s.close()
            raise
        return s

    def _accept_loop(self) -> None:
        # One client at a time, as a real port is exclusive: while a client is
        # connected nobody listens, so a second client's open fails at once with
        # "Connection refused" (pyserial: SerialException "Could not open port").
        # While the cable is out (unplug) nobody listens either.
        while not self._stopping:
            self._plugged.wait()
            if self._stopping:
                return
            with self._state_lock:
                listener = self._listener
            if listener is None:
                listener = self._listen_again()
                if listener is None:
                    return
                with self._state_lock:
                    if not self._plugged.is_set() or self._stopping:
                        listener.close()
                        continue
                    self._listener = listener
            try:
                conn, _ = listener.accept()
            except OSError:
                continue  # closed by unplug() or stop()
            with self._state_lock:
                if self._listener is listener and self._plugged.is_set():
                    self._client = conn
                    self._listener = None
                else:
                    conn.close()
                    continue
            listener.close()
            self._serve(conn)

    def _listen_again(self) -> socket.socket | None:
        deadline = time.monotonic() + 5.0
        while not self._stopping:
            try:
                return self._listen(self._port)
            except OSError as e:
                if time.monotonic() > deadline:
                    log.error("rfc2217: cannot listen on port %d again: %s", self._port, e)
                    return None
                time.sleep(0.05)  # the port is briefly taken: retry until the deadline
        return None

    def _serve(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._lines.baudrate = DEFAULT_BAUD
        self._manager = pm = rfc2217.PortManager(self._lines, self)
        try:
            while not self._stopping:
                try:
                    data = conn.recv(65536)
                except OSError:
                    break
                if not data:
                    break
                if pm.mode == rfc2217.M_NORMAL and pm.suboption is None and b"\xff" not in data:
                    payload = data  # fast path: plain data, no Telnet commands
                else:
                    payload = b"".join(pm.filter(data))
                if payload:
                    self.uart.from_host(payload, self._lines.baudrate, self.name)
        finally:
            with self._state_lock:
                self._client = None
                self._manager = None
            with contextlib.suppress(OSError):
                conn.close()
            # Closing a USB-serial port de-asserts DTR and RTS.
            if not self._stopping:
                self._lines._dtr = False
                self._lines._rts = False
                self._on_lines(False, False)
