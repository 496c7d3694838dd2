"""repl: the MicroPython REPL on top of mpremote's SerialTransport, with deadlines."""

from hil.repl.deadline import Deadline
from hil.repl.repl import DeviceFileNotFoundError, DeviceOSError, Repl, State

__all__ = ["Deadline", "DeviceFileNotFoundError", "DeviceOSError", "Repl", "State"]
