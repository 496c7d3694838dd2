"""SLIP framing as esptool speaks it (RFC 1055 bytes; esptool ``loader.py``).

Known behaviours (docs/protocols.md §1.1):

- Every frame is ``C0 <escaped payload> C0``; esptool's reader needs a *fresh*
  leading ``C0`` for every frame, so back-to-back frames are ``... C0 C0 ...``.
- Inside a frame ``C0`` is sent as ``DB DC`` and ``DB`` as ``DB DD``.
- Bytes outside frames (noise, a terminal's keystrokes) are ignored by the chip.
"""

from __future__ import annotations

END = 0xC0
ESC = 0xDB
ESC_END = 0xDC
ESC_ESC = 0xDD


def encode(payload: bytes) -> bytes:
    """One complete frame, with a C0 at both ends."""
    body = payload.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc")
    return b"\xc0" + body + b"\xc0"


class SlipDecoder:
    """Incremental decoder: ``feed(bytes)`` returns the frames completed by them.

    A bad escape (``DB`` followed by anything but ``DC``/``DD``) drops the frame,
    as the ROM does with a frame it cannot parse.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._in_frame = False
        self._escaped = False
        self._broken = False

    def feed(self, data: bytes) -> list[bytes]:
        frames: list[bytes] = []
        for b in data:
            if b == END:
                if self._in_frame and self._buf and not self._broken:
                    frames.append(bytes(self._buf))
                # A C0 both ends a frame and may start the next one: an empty
                # "frame" (C0 C0) just means we are at a frame start.
                self._buf.clear()
                self._in_frame = True
                self._escaped = False
                self._broken = False
                continue
            if not self._in_frame:
                continue
            if self._escaped:
                self._escaped = False
                if b == ESC_END:
                    self._buf.append(END)
                elif b == ESC_ESC:
                    self._buf.append(ESC)
                else:
                    self._broken = True
                continue
            if b == ESC:
                self._escaped = True
            else:
                self._buf.append(b)
        return frames

    def reset(self) -> None:
        self.__init__()
