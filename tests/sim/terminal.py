"""A terminal on a twin's pty, as a terminal program is: the twin's REPL tests type through it."""

from __future__ import annotations

import time
from typing import Any

import serial


class Term:
    """A terminal on the twin's pty: write bytes, wait for bytes (every wait has a deadline,
    generous by default: a loaded host runs the twin slowly)."""

    def __init__(self, port: str) -> None:
        self.twin: Any = None
        self.ser = serial.Serial(port, 115200, timeout=0.05)
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.ser.write(data)

    def until(self, token: bytes, timeout: float = 30.0) -> bytes:
        deadline = time.monotonic() + timeout
        while token not in self.buf:
            if time.monotonic() > deadline:
                raise AssertionError(f"no {token!r} within {timeout} s; got {self.buf[-400:]!r}")
            self.buf += self.ser.read(4096)
        i = self.buf.index(token) + len(token)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def line(self, text: str, timeout: float = 30.0) -> bytes:
        """Type a line at the friendly prompt; returns what came back up to the next prompt."""
        self.send(text.encode() + b"\r")
        return self.until(b">>> ", timeout)

    def interrupt(self, timeout: float = 30.0) -> bytes:
        """Ctrl-C until the prompt shows: a ^C that lands before the code has armed the
        interrupt char is an ordinary byte (pyexec.c), so a terminal user presses it again."""
        deadline = time.monotonic() + timeout
        while True:
            self.send(b"\x03")
            try:
                return self.until(b">>> ", 0.3)
            except AssertionError:
                if time.monotonic() > deadline:
                    raise

    def raw_exec(self, code: str, timeout: float = 30.0) -> tuple[bytes, bytes]:
        self.send(code.encode() + b"\x04")
        self.until(b"OK", timeout)
        out = self.until(b"\x04", timeout)[:-1]
        err = self.until(b"\x04", timeout)[:-1]
        self.until(b">", timeout)
        return out, err
