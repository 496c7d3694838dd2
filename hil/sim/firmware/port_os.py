# Runs INSIDE the twin's MicroPython process: the board's `os` module.
#
# The unix port's os (whose VFS calls go to the LittleFS mounted at "/" over
# the flash file, see flashfs.py) plus what the ESP8266 port adds: uname()
# with the board's strings, dupterm(), sync().
from os import *  # noqa: F401,F403
from collections import namedtuple as _namedtuple

import hal

_cfg = hal.CONFIG


# An attrtuple on the board (a tuple whose fields also read as attributes, printed
# "(sysname='esp8266', ...)"): a namedtuple without a name prints and formats the same.
_Uname = _namedtuple("", ("sysname", "nodename", "release", "version", "machine"))


def uname():
    # ports/esp8266/modos.c: release = the NONOS SDK version string
    return _Uname(
        "esp8266",
        "esp8266",
        _cfg.get("sdk", "2.2.0-dev(9422289)"),
        "%s on %s" % (_cfg.get("version", "v1.24.1"), _cfg.get("build_date", "2024-11-29")),
        _cfg.get("machine", "ESP module with ESP8266"),
    )


def dupterm(stream=None, index=0):
    return None


def dupterm_notify(obj=None):
    pass


def sync():
    pass
