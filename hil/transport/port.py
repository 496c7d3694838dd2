"""Open a serial port by path or URL, exclusively, with errors a person can act on.

Known behaviours (pyserial 3.5, Linux):
- ``exclusive=True`` takes an advisory ``flock`` on the device; esptool and
  mpremote take the same lock, so a second client fails with errno EAGAIN
  (serialposix.py ``open``). We map that to "board busy" once the lock has
  stayed taken for ``BUSY_GRACE`` seconds: a lock is shared with every process
  forked while it is held (flock(2)), so a program that forks a child just as
  it closes the port (a twin starting its interpreter, a tool spawning a
  helper) holds it until the child's exec: milliseconds, but on a loaded host
  the child may wait a second and more for a CPU first.
- A missing device fails with ENOENT, a device the user may not open with
  EACCES (on Linux: not in the ``dialout`` group).
- ``rfc2217://`` and ``socket://`` raise a bare SerialException on a refused
  connection; the socket error is only in ``__context__`` (rfc2217.py ``open``).
- On a pty every modem-control ioctl fails with ENOTTY; pyserial ignores that
  at open (docs/protocols.md §6).
"""

from __future__ import annotations

import errno
import socket
import time

import serial
import serial.tools.list_ports

from hil.errors import (
    PortBusyError,
    PortError,
    PortGoneError,
    PortNotFoundError,
    PortPermissionError,
)
from hil.transport.rfc2217 import Rfc2217Port

URL_SCHEMES = ("rfc2217://", "socket://", "loop://")
BUSY_GRACE = 3.0  # s a taken lock may take to go away before the port counts as busy
DIALOUT_HINT = "run `sudo usermod -aG dialout $USER`, then log out and in again"


def open_port(spec: str, baud: int = 115200, *, timeout: float | None = 0.1) -> serial.Serial:
    """Open ``spec`` (device path, rfc2217://, socket://, auto, id:SERIAL) exclusively.

    Raises PortNotFoundError, PortPermissionError, PortBusyError or PortError.
    """
    if spec == "auto" or spec.startswith("id:"):
        from hil.transport.discovery import resolve_port

        spec = resolve_port(spec)
    try:
        if spec.startswith("rfc2217://"):
            port = Rfc2217Port(None, baudrate=baud, timeout=timeout)
            port.port = spec  # pyserial's serial_for_url does the same
            # DTR and RTS released at open, not pyserial's asserted: on a NodeMCU both
            # mean "run" (EN and GPIO0 high), but esptool's esp_rfc2217_server takes a
            # DTR_ON as the start of esptool's reset into the bootloader and runs that
            # sequence itself (esp_rfc2217_server/esp_port_manager.py); RTS_OFF there
            # is a plain reset, after which the firmware boots as the REPL expects.
            port.dtr = False
            port.rts = False
        else:
            port = serial.serial_for_url(spec, baudrate=baud, timeout=timeout,
                                         exclusive=True, do_not_open=True)
    except (ValueError, serial.SerialException) as e:
        raise PortNotFoundError(
            f"opening {spec!r}: not a port name or URL pyserial knows ({e}); pass a device "
            f"path such as /dev/ttyUSB0, rfc2217://HOST:PORT, socket://HOST:PORT or auto") from e
    deadline = time.monotonic() + BUSY_GRACE
    while True:
        try:
            port.open()
            return port
        except (OSError, serial.SerialException) as e:
            error = open_error(spec, e)
            if not isinstance(error, PortBusyError) or time.monotonic() >= deadline:
                raise error from e
        time.sleep(0.05)


def open_error(spec: str, e: BaseException) -> PortError:
    """Translate a failure to open ``spec`` into the harness's port errors."""
    code = getattr(e, "errno", None)
    cause = e.__context__ or e.__cause__
    if spec.startswith(URL_SCHEMES):
        if isinstance(cause, (ConnectionRefusedError, socket.gaierror, TimeoutError)) or \
                isinstance(e, (ConnectionRefusedError, socket.gaierror)):
            return PortNotFoundError(
                f"opening {spec}: nothing answers there ({cause or e}); start the server "
                f"first (for the virtual bench: `hil sim`, which prints its URL) and check "
                f"host and port; a server that serves one client at a time also refuses "
                f"while another program is connected")
        return PortError(f"opening {spec}: {e}; check that the server speaks this protocol")
    if code == errno.ENOENT or code == errno.ENODEV or code == errno.ENXIO:
        return PortNotFoundError(
            f"opening {spec}: no such port; ports present: {describe_ports()}; "
            f"plug the board in, or pass the right --port (or --port auto)")
    if code in (errno.EACCES, errno.EPERM):
        return PortPermissionError(
            f"opening {spec}: permission denied; {DIALOUT_HINT}")
    if code in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EBUSY):
        return PortBusyError(
            f"board busy: another process holds {spec} (a serial monitor, mpremote, esptool or "
            f"another test run); close it and retry (`fuser {spec}` shows who)")
    return PortError(f"opening {spec}: {e}; check that it is the board's serial port (`hil "
                     f"ports` lists them), replug the board, and close other programs using it")


def gone_error(spec: str, e: BaseException, doing: str) -> PortError:
    """The port failed while in use: another reader on it, or the board was unplugged.

    A program that opens the port without the lock (screen, minicom, picocom,
    an IDE's serial monitor) does not stop our open, but it takes bytes from
    under us: pyserial then sees "readiness to read but returned no data"
    (serialposix.py ``read``: "device disconnected or multiple access on port?").
    """
    if shared_port(e):
        return PortBusyError(
            f"{doing} on {spec}: another program reads the same port ({e}); close it (screen, "
            f"minicom, picocom and serial monitors do not lock the port, so it opened "
            f"anyway; `fuser {spec}` shows who) and rerun")
    return PortGoneError(
        f"{doing} on {spec}: the port stopped working ({e}); was the board unplugged or "
        f"reset by another program? Reconnect it and rerun")


def shared_port(e: BaseException) -> bool:
    """pyserial's sign that a second reader took the bytes select() announced."""
    return "multiple access on port" in str(e)


def describe_ports() -> str:
    """A one-line list of the serial ports the system has, for error messages."""
    found = [p.device for p in serial.tools.list_ports.comports()]
    return ", ".join(found) if found else "none"


def has_modem_lines(port: serial.Serial) -> bool:
    """True where RTS/DTR reach the board (USB adapters, rfc2217), False on a pty.

    On a pty the ioctls fail with ENOTTY (docs/protocols.md §6); pyserial's
    socket:// handler accepts and ignores them (protocol_socket.py), so it has
    no lines either.
    """
    if type(port).__module__.endswith("protocol_socket") or port.port.startswith("socket://"):
        return False
    try:
        port.rts = port.rts
    except OSError as e:  # pyserial's SerialException too
        if e.errno in (errno.ENOTTY, errno.EINVAL):
            return False
        raise gone_error(port.port, e, "setting the reset lines") from e
    return True
