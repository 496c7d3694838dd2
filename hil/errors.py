"""The whole exception tree of the harness.

Callers branch on the class, never on the message. Every message says what was
tried, where, what happened and what to do next. Translate foreign errors
(pyserial, esptool, mpremote) into these once, at the layer boundary, with
``raise ... from e``.

The virtual bench (``hil.sim``) is a peer of the board and does not use these:
its own errors live in ``hil.sim.errors``.
"""

from __future__ import annotations


class HilError(Exception):
    """Base of every error the harness raises on purpose."""


class BenchError(HilError):
    """The bench (port, board, wiring, tools) is broken, not the app under test.

    pytest reports these as errors of the bench, never as failed app tests.
    """


class PortError(BenchError):
    """The serial port cannot be used: missing, busy, no permission, gone."""


class PortNotFoundError(PortError):
    """No such port, or discovery found none or several candidates."""


class PortBusyError(PortError):
    """Another process holds the port (exclusive lock)."""


class PortPermissionError(PortError):
    """The user may not open the port (not in the dialout group)."""


class PortGoneError(PortError):
    """The port disappeared while in use (board unplugged)."""


class BoardTimeoutError(BenchError, TimeoutError):
    """A wait ran out: says what was awaited, for how long, and the last bytes seen.

    Also a TimeoutError (so an OSError), as callers of a timed call expect; code
    that maps OSErrors (hil.repl's device errors) lets HilErrors through first.
    """

    def __init__(self, what: str, timeout: float, tail: bytes = b"", hint: str = "") -> None:
        self.what = what
        self.timeout = timeout
        self.tail = tail
        self.hint = hint
        msg = f"{what}: nothing within {timeout:.1f} s; last bytes {tail[-80:]!r}"
        if hint:
            msg += f" ({hint})"
        super().__init__(msg)


class LineSpeedError(BenchError):
    """The board answers at another baud than the port's (wrong --baud), or sends garbage."""


class BoardResetError(BenchError):
    """The board restarted (its boot text arrived) while the harness waited for something else.

    Names what was being done. The board is in a known place afterwards (booted),
    so the session does not latch: the next test starts over from a known state.
    """


class LinkError(BenchError):
    """The serial link corrupted or lost bytes of the harness's own exchange (checked)."""


class ProtocolError(BenchError):
    """The device sent what the protocol does not allow."""


class DeviceError(HilError):
    """Code on the board raised: carries the device's exception name and traceback.

    Not a BenchError: an exception in the app or in test code on the board is a
    finding about the code, reported as a failure.
    """

    def __init__(self, message: str, exc_name: str = "", traceback: str = "") -> None:
        self.exc_name = exc_name
        self.traceback = traceback
        super().__init__(message)


class FlashError(BenchError):
    """Flashing failed or was refused (wrong chip, corrupt image, esptool error)."""


class ImageError(FlashError):
    """The firmware file is missing or is not a valid ESP8266 image."""


class WrongChipError(FlashError):
    """The chip on the port is not an ESP8266."""


class DeployError(BenchError):
    """Uploading the app failed or was refused."""


class AppError(HilError):
    """The app under test is at fault before it ever ran (not the bench).

    Reported as a failed test (exit status 1), never as a bench error.
    """


class CompileError(AppError):
    """A file of the app does not compile; nothing was uploaded."""


class BenchProfileError(BenchError):
    """The bench profile file is missing or wrong."""


class BoardStateError(BenchError):
    """The board is in a state the call cannot work from (names call and state)."""


class BoardLockedError(PortBusyError):
    """Another nightly job holds the board's lock (ci/nightly): names the holder."""


class PlaceError(BenchError):
    """A labgrid place cannot be used: no coordinator, no such place, no serial port."""


class PlaceBusyError(PlaceError):
    """Another user (or host) holds the labgrid place."""
