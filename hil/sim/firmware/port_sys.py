# Runs INSIDE the twin's MicroPython process: the board's `sys` module.
#
# The unix port's sys with the ESP8266's identity (platform, version,
# implementation) and a console that reads/writes UART0 through hal.py, so
# that sys.stdin sees the same bytes as the REPL and sys.stdout.buffer writes
# bytes uncooked (shared/runtime/sys_stdio_mphal.c: text writes are cooked,
# buffer writes are not).
from sys import *  # noqa: F401,F403  modules, path, argv, byteorder, exc_info, ...
import sys as _sys
import hal
import pyexec

_cfg = hal.CONFIG
platform = "esp8266"
_vt = tuple(_cfg.get("version_tuple", (1, 24, 1)))
version = "3.4.0; " + _cfg.get("banner_name", "MicroPython v%d.%d.%d" % _vt)
maxsize = 2147483647  # 32-bit port
argv = []


class _Impl:
    # An attrtuple on the board; a plain object answers the same attribute reads.
    name = "micropython"
    version = _vt + ("",)
    # .mpy version 6.3 with arch xtensa (9 << 10), as ESP8266 builds of 1.2x report.
    _mpy = (9 << 10) | 0x306
    _machine = _cfg.get("machine", "ESP module with ESP8266")

    def __repr__(self):
        return "(name='micropython', version=%r, _machine=%r, _mpy=%d)" % (self.version, self._machine, self._mpy)


implementation = _Impl()
version_info = (3, 4, 0)


class _InBuffer:
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


class _Stdin:
    buffer = _InBuffer()

    def read(self, n=-1):
        if n is None or n < 0:
            n = 1
        return hal.read_bytes(n).decode()

    def readinto(self, buf, n=-1):
        # The board's text stdin reads raw bytes too (sys_stdio_mphal.c stdio_read)
        return _InBuffer.readinto(None, buf, n)

    def readline(self):
        out = bytearray()
        while True:
            c = hal.rx_chr()
            out.append(c)
            if c in (10, 13):
                return out.decode()

    def fileno(self):
        return 0


class _OutBuffer:
    def write(self, b):
        hal.write_raw(bytes(b))
        return len(b)


class _Stdout:
    buffer = _OutBuffer()

    def write(self, s):
        if isinstance(s, (bytes, bytearray, memoryview)):
            s = bytes(s).decode()
        hal.write(s)
        return len(s)

    def flush(self):
        pass

    def fileno(self):
        return 1


stdin = _Stdin()
stdout = _Stdout()
stderr = stdout  # one UART on the board


def print_exception(exc, file=None):
    pyexec.print_exception(exc, file)


def exit(code=None):
    raise SystemExit(code) if code is not None else SystemExit
