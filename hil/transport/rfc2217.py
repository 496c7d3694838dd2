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

import warnings

import serial
import serial.rfc2217


class Rfc2217Port(serial.rfc2217.Serial):
    """pyserial's RFC2217 client, renegotiating only when a line setting changed.

    The same holds for DTR and RTS: pyserial sends SET_CONTROL (and waits at
    least 50 ms for its answer) on every assignment, also of the level the line
    already has; mpremote and the harness release both lines again on close, so
    every close of an idle port cost two more waits. A level is sent once at
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
        # pyserial 3.5 names its reader thread with setDaemon()/setName(), which
        # Python 3.10+ deprecates: noise about pyserial, not about this run.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            super().open()

    def close(self) -> None:
        # pyserial's close keeps its 0.3 s pause "in case of quick reconnects": a
        # server in front of a pty (ser2net) closes it when we leave, which is a reset
        # for a board without lines, and the pause lets that boot pass before we return.
        self._applied = None
        self._sent_lines = None
        super().close()
