"""An RFC2217 client that tells the server only what changed.

pyserial 3.5 (rfc2217.py ``_reconfigure_port``) re-sends baud rate, data size,
parity, stop bits and flow control, and waits for every ack (at least 50 ms),
on *any* setting change, including ``timeout``, which the server never needs
to know. esptool changes ``timeout`` around most commands: 188 full
renegotiations in one write-flash, 25 s instead of under 1 s on a pty
(docs/protocols.md §5.1). Skipping the unchanged ones keeps the wire protocol
identical for every change that matters.
"""

from __future__ import annotations

import socket
import threading
import time
import warnings

import serial
import serial.rfc2217

# pyserial's close() sleeps 0.3 s "in case of quick reconnects, give the server some
# time": on every close, also the last one of a run. Here the pause is only taken by
# a reconnect that comes that soon: a refused connection within REOPEN_GRACE of our
# own close of the same URL is retried, as a server that serves one client at a
# time may not be listening again yet (esp_rfc2217_server, the twin).
REOPEN_GRACE = 1.0
_closed_at: dict[str, float] = {}
_closed_lock = threading.Lock()


class Rfc2217Port(serial.rfc2217.Serial):
    """pyserial's RFC2217 client, renegotiating only when a line setting changed.

    The same holds for DTR and RTS: pyserial sends SET_CONTROL (and waits at
    least 50 ms for its answer) on every assignment, also of the level the line
    already has; mpremote and the harness release both lines again on close, so
    every close of an idle port cost two waits (0.4 s). A level is sent once at
    open (the server's state is unknown then) and afterwards only when it changes.
    """

    _applied: tuple | None = None
    _sent_lines: dict[str, bool] | None = None

    def _update_rts_state(self) -> None:
        if self._line_unchanged("rts", self._rts_state):
            return
        super()._update_rts_state()

    def _update_dtr_state(self) -> None:
        if self._line_unchanged("dtr", self._dtr_state):
            return
        super()._update_dtr_state()

    def _line_unchanged(self, line: str, level: bool) -> bool:
        """True if ``level`` was the last one sent on ``line``; records it otherwise."""
        if self._sent_lines is None:
            self._sent_lines = {}
        if self._socket is not None and self._sent_lines.get(line) == bool(level):
            return True
        self._sent_lines[line] = bool(level)
        return False

    def _line_settings(self) -> tuple:
        return (self._baudrate, self._bytesize, self._parity, self._stopbits, self._rtscts,
                self._xonxoff)

    def _reconfigure_port(self) -> None:
        # write_timeout must still fail as pyserial fails (esptool relies on that
        # NotImplementedError to set it back to None)
        if (self._socket is not None and self._write_timeout is None
                and self._applied == self._line_settings()):
            return  # only a local setting (timeout) changed
        super()._reconfigure_port()
        self._applied = self._line_settings()

    def rfc2217_set_control(self, value: bytes) -> None:
        """Set DTR/RTS; a server that never answers line changes is then not waited for.

        esptool's esp_rfc2217_server takes DTR/RTS changes over for its own reset
        sequences and answers none of them; ser2net does not answer them on a port
        without modem lines (a pty). pyserial waits 3 s for each answer and
        fails; its ``?ign_set_control`` URL option turns the wait off, which
        the first unanswered change does here, so the plain URL works.
        """
        if not self._ignore_set_control_answer:
            try:
                return super().rfc2217_set_control(value)
            except serial.SerialException as e:
                if "option 'control'" not in str(e):
                    raise
                self._ignore_set_control_answer = True  # sent; only the answer is missing
                return None
        return super().rfc2217_set_control(value)

    def open(self) -> None:
        with _closed_lock:
            closed = _closed_at.get(str(self.portstr), float("-inf"))
        while True:
            try:
                # pyserial 3.5 names its reader thread with setDaemon()/setName(), which
                # Python 3.10+ deprecates: noise about pyserial, not about this run.
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    super().open()
                return
            except (serial.SerialException, OSError) as e:
                # a relay (ser2net with an RFC2217 connector) accepts at once, then
                # drops us while its own upstream port still refuses: the same case
                dropped = (ConnectionResetError, BrokenPipeError)
                refused = isinstance(e.__context__, (ConnectionRefusedError, *dropped)) \
                    or isinstance(e, dropped) \
                    or "Remote does not seem to support RFC2217" in str(e)
                if not refused or time.monotonic() - closed > REOPEN_GRACE:
                    raise
            time.sleep(0.05)

    def close(self) -> None:
        """pyserial's close without its fixed 0.3 s pause (see REOPEN_GRACE)."""
        self._applied = None
        self._sent_lines = None
        self.is_open = False
        if self._socket:
            try:
                self._socket.shutdown(socket.SHUT_RDWR)
                self._socket.close()
            except OSError:
                pass
        if self._thread:
            self._thread.join(7)  # pyserial's own bound: more than its socket timeout
            self._thread = None
            with _closed_lock:
                _closed_at[str(self.portstr)] = time.monotonic()
        self._socket = None
