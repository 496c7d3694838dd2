"""Benchmark: one pin check, through the harness's session and through mpremote.

    .venv/bin/python -m bench pin_check

The statement is the suite's own kind of check, a pin read. Three figures:
- the harness's REPL (``Repl.eval``, what ``board.call`` runs) against
  ``mpremote exec`` of the same statement, a process per check as people use it
  (goal: at least 5x faster);
- the harness against the UART floor: the bytes the check exchanges, counted on
  the wire, at 10 bits a byte and 115200 baud (goal: within 1.1x). The floor
  leaves out the board's (here the twin's) time to compile and run the line.
Over the twin's pty and over its RFC2217 URL: once the port is open and set
up, RFC2217 adds no client-side acknowledgement waits to a check (pyserial
waits for acknowledgements only when line settings change).
"""

from __future__ import annotations

import sys

if __package__ in (None, ""):
    sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.dirname(__file__)))

from bench._common import Row, ratio_row, run, sim, standalone, timed, tool

STATEMENT = "Pin(14).value()"  # the button pin D5, as the suite reads it
BAUD = 115200
BITS_PER_BYTE = 10  # start + 8 data + stop


class _Counter:
    """Counts the bytes that cross the port (wraps the pyserial object's read/write)."""

    def __init__(self, port) -> None:
        self.sent = self.received = 0
        self._write, self._read = port.write, port.read

        def write(data: bytes) -> int | None:
            self.sent += len(data)
            return self._write(data)

        def read(n: int = 1) -> bytes:
            data = self._read(n)
            self.received += len(data)
            return data

        port.write, port.read = write, read


def harness_check(spec: str, runs: int) -> tuple[list[float], float]:
    """Seconds per check through Repl.eval, and the bytes one check puts on the wire."""
    from hil.repl import Repl

    with Repl(spec, BAUD) as repl:
        repl.ensure_friendly_idle()
        repl.exec("from machine import Pin")
        repl.eval(STATEMENT)  # in the raw REPL from here on, as in a session
        counter = _Counter(repl._link.port)
        times = timed(lambda: repl.eval(STATEMENT), runs)
        per_check = (counter.sent + counter.received) / runs
    return times, per_check


def mpremote_check(spec: str, runs: int) -> list[float]:
    cmd = [tool("mpremote"), "connect", spec, "exec",
           f"from machine import Pin; print(repr({STATEMENT}))"]
    return timed(lambda: run(cmd, timeout=60), runs)


def measure(runs: int = 30, tool_runs: int = 5) -> list[Row]:
    rows = []
    with sim() as twin:
        for label, spec in (("pty", twin.pty), ("rfc2217", twin.url)):
            hil_times, nbytes = harness_check(spec, runs)
            floor = nbytes * BITS_PER_BYTE / BAUD
            rows.append(ratio_row(
                f"pin check vs mpremote exec ({label})", hil_times,
                mpremote_check(spec, tool_runs), goal=5, better="higher",
                labels=("hil", "mpremote exec"),
                note="mpremote: a process per check, as people use it"))
            rows.append(ratio_row(
                f"pin check vs UART floor ({label})", hil_times, [floor], goal=1.1,
                labels=("hil", "floor"),
                note=f"{nbytes:.0f} bytes a check at {BAUD} baud; "
                     "the floor leaves out the board's own compile and run time"))
    return rows


if __name__ == "__main__":
    sys.exit(standalone(measure, __doc__))
