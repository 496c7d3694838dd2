"""`--flash auto` without the bootloader: ask the running MicroPython what its flash holds.

A board that already runs the image is the common case (every run after the
first). Through the ROM loader, finding that out costs a reset, a sync and the
flasher stub's upload at 115200 baud (about 1.2 s for esptool's ESP8266 stub)
before the stub's MD5 of the region answers. MicroPython can read its own flash
(``esp.flash_read``, ports/esp8266/modesp.c) and hash it (``hashlib``), so the
same comparison takes one short exec at the REPL.

Only a match is trusted from here: the board hashed the bytes that are really in
its flash from offset 0, exactly as many as the image has. Anything else (no
REPL answer, not an ESP8266, no ``esp`` module, another hash) returns None and
the caller goes the bootloader way, which decides and writes as before.
"""

from __future__ import annotations

import contextlib
import hashlib

from hil.errors import BenchError, HilError
from hil.repl import Repl

# Board-side: hash the first N bytes of the flash in 1 KiB reads (a small buffer
# fits any heap); MD5 where the build has it, else SHA-256 (always built in).
_HASH = (
    "import esp,hashlib,sys,network\n"
    "def _hil_fw(n):\n"
    " f=getattr(hashlib,'md5',None)\n"
    " h=(f or hashlib.sha256)()\n"
    " m=memoryview(bytearray(1024))\n"
    " o=0\n"
    " while o<n:\n"
    "  k=min(1024,n-o)\n"
    "  esp.flash_read(o,m[:k])\n"
    "  h.update(m[:k])\n"
    "  o+=k\n"
    " return ('md5' if f else 'sha256',h.digest())\n"
)
_FACTS = "(sys.platform,network.WLAN(network.STA_IF).config('mac'))"
INTERRUPT_TIMEOUT = 3.0  # s: a board that does not answer Ctrl-C by then goes the loader way


def running_image_mac(port: str, data: bytes, baud: int = 115200) -> str | None:
    """The board's MAC if the MicroPython on ``port`` has exactly ``data`` at flash offset 0.

    None when that cannot be told from the REPL. The app that ran is started again
    (a soft reset, as the loader's reset would), so the board is left as found.
    """
    with contextlib.suppress(HilError, OSError, ValueError, TypeError):
        with Repl(port, baud) as repl:
            repl.ensure_friendly_idle(timeout=INTERRUPT_TIMEOUT)
            try:
                return _matching_mac(repl, data)
            finally:
                with contextlib.suppress(BenchError):
                    _restart_app(repl)
    return None


def _restart_app(repl: Repl) -> None:
    """Ctrl-D at the friendly prompt: boot.py and main.py run again. Not waited for:
    an app that blinks forever never gives the prompt back."""
    repl.ensure_friendly_idle(timeout=INTERRUPT_TIMEOUT)
    repl.write(b"\x04")
    repl.read_until(b"soft reboot\r\n", INTERRUPT_TIMEOUT, "the soft reset after the flash check")


def _matching_mac(repl: Repl, data: bytes) -> str | None:
    repl.exec(_HASH, timeout=10.0)
    platform, mac = repl.eval(_FACTS)
    if platform != "esp8266" or not isinstance(mac, bytes) or len(mac) != 6:
        return None
    algo, digest = repl.eval(f"_hil_fw({len(data)})", timeout=30.0)
    if digest != hashlib.new(algo, data).digest():
        return None
    return ":".join(f"{b:02x}" for b in mac)
