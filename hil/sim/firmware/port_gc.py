# Runs INSIDE the twin's MicroPython process: the board's `gc` module.
# The unix port's collect() returns a count; the ESP8266 port's returns None.
from gc import *  # noqa: F401,F403
import gc as _gc


def collect():
    _gc.collect()
