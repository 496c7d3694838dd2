# Runs INSIDE the twin's MicroPython process: the board's `gc` module.
# The unix port's collect() returns a count; the ESP8266 port's returns None.
# mem_alloc() counts the user's objects only: the firmware's own (and the part of
# the heap set aside beyond the user's share, startup.py) are C and flash on a board.
from gc import *  # noqa: F401,F403
import gc as _gc

baseline = 0  # bytes allocated when boot.py starts (set by startup.py)


def collect():
    _gc.collect()


def mem_alloc():
    return max(0, _gc.mem_alloc() - baseline)
