# Runs INSIDE the twin's MicroPython process: the board's `sys` module.
#
# The unix port's sys with the ESP8266's identity (platform, version,
# implementation) and a console that reads/writes UART0 through hal.py, so
# that sys.stdin sees the same bytes as the REPL and sys.stdout.buffer writes
# bytes uncooked (shared/runtime/sys_stdio_mphal.c: text writes are cooked,
# buffer writes are not).
from sys import *  # noqa: F401,F403  modules, path, argv, byteorder, exc_info, ...
import sys as _sys
from collections import namedtuple as _namedtuple

import hal
import pyexec

_cfg = hal.CONFIG
platform = "esp8266"
_vt = tuple(_cfg.get("version_tuple", (1, 24, 1)))
version = "3.4.0; " + _cfg.get("banner_name", "MicroPython v%d.%d.%d" % _vt)
maxsize = 2147483647  # 32-bit port
argv = []


def _impl_fields(vt):
    """sys.implementation of the ESP8266 build of release `vt`, field by field.

    From py/modsys.c and py/persistentcode.h at each release tag:
    - version: (major, minor, micro) before v1.22, then with a 4th item, the
      prerelease ('' for a release);
    - _machine: from v1.19 (MICROPY_BANNER_MACHINE);
    - the .mpy header int, MPY_FILE_HEADER_INT: `mpy` in v1.12-v1.18
      (version 5 | (unicode flag << 1 | arch << 2) << 8), `_mpy` from v1.19
      (version 6 | (sub-version | arch << 2) << 8, sub-version 0 in v1.19, 1 in
      v1.20-v1.21, 2 in v1.22, 3 from v1.23: docs/reference/mpyfiles.rst); the
      ESP8266's arch is MP_NATIVE_ARCH_XTENSA, 9.
    """
    fields = [("name", "micropython"), ("version", vt + ("",) if vt >= (1, 22) else vt)]
    if vt >= (1, 19):
        fields.append(("_machine", _cfg.get("machine", "ESP module with ESP8266")))
        sub = 3 if vt >= (1, 23) else 2 if vt >= (1, 22) else 1 if vt >= (1, 20) else 0
        fields.append(("_mpy", 6 | (sub | 9 << 2) << 8))
    elif vt >= (1, 12):
        fields.append(("mpy", 5 | (1 << 1 | 9 << 2) << 8))
    return fields


# An attrtuple on the board: a namedtuple without a name prints and formats the same.
_f = _impl_fields(_vt)
implementation = _namedtuple("", tuple(k for k, _ in _f))(*(v for _, v in _f))
del _f
version_info = (3, 4, 0)


class FileIO:
    # sys.std*.buffer: bytes in and out uncooked (shared/runtime/sys_stdio_mphal.c)
    def __init__(self, fd):
        self._fd = fd

    def __repr__(self):
        return "<io.FileIO %d>" % self._fd

    def read(self, n=-1):
        if n is None or n < 0:
            n = 1
        return hal.read_bytes(n)

    def readinto(self, buf, n=-1):
        if n < 0:
            n = len(buf)
        data = hal.read_bytes(n)
        buf[: len(data)] = data
        return len(data)

    def write(self, b):
        hal.write_raw(bytes(b))
        return len(b)

    def flush(self):
        pass

    def fileno(self):
        return self._fd


class TextIOWrapper:
    # sys.stdin/stdout/stderr: one type, all on UART0 (sys_stdio_mphal.c stdio_obj_type)
    def __init__(self, fd):
        self._fd = fd
        self.buffer = FileIO(fd)

    def __repr__(self):
        return "<io.TextIOWrapper %d>" % self._fd

    def read(self, n=-1):
        if n is None or n < 0:
            n = 1
        return hal.read_bytes(n).decode()

    def readinto(self, buf, n=-1):
        # the board's text stdin reads raw bytes too (stdio_read)
        return self.buffer.readinto(buf, n)

    def readline(self):
        out = bytearray()
        while True:
            c = hal.rx_chr()
            out.append(c)
            if c in (10, 13):
                return out.decode()

    def write(self, s):
        if isinstance(s, (bytes, bytearray, memoryview)):
            s = bytes(s).decode()
        hal.write(s)
        return len(s)

    def flush(self):
        pass

    def fileno(self):
        return self._fd


stdin = TextIOWrapper(0)
stdout = TextIOWrapper(1)
stderr = TextIOWrapper(2)  # the same UART on the board


def print_exception(exc, file=None):
    pyexec.print_exception(exc, file)


def exit(code=None):
    raise SystemExit(code) if code is not None else SystemExit
