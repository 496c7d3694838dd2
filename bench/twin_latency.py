"""Benchmark: how fast and how small the virtual bench is.

    .venv/bin/python bench/twin_latency.py [--runs 20]

Goals (shown, not asserted):
- a new twin answers `>>> ` within 1 s of Twin.start() (a board boots in ~0.5 s);
- one raw-REPL round trip (exec of `print(1)`) is dominated by the UART at
  115200 baud, as on a board: well under 50 ms;
- a button press through the Python API is seen by the next pin read;
- (memory: bench/suite_time.py measures the twin's peak RSS during the suite).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import serial

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import Row, print_table, ratio_row
from hil.sim.twin import Twin


def _read_until(port: serial.Serial, marker: bytes, timeout: float) -> bytes:
    deadline = time.monotonic() + timeout
    buf = b""
    while not buf.endswith(marker):
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout} s for {marker!r}; got {buf[-80:]!r}")
        buf += port.read(1)
    return buf


def measure(runs: int = 20) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.monotonic()
        twin = Twin(tmp).start()
        try:
            port = serial.serial_for_url(twin.url, baudrate=115200, timeout=0.2)
            port.write(b"\r\x03")
            _read_until(port, b">>> ", 5)
            boot = time.monotonic() - t0
            port.write(b"\r\x01")
            _read_until(port, b"raw REPL; CTRL-B to exit\r\n>", 5)
            trips = []
            for _ in range(runs):
                t = time.monotonic()
                port.write(b"print(1)\x04")
                _read_until(port, b"\x04\x04>", 5)
                trips.append(time.monotonic() - t)
            seen = True
            for i in range(5):
                twin.press(i % 2 == 0)
                port.write(b"import machine;print(machine.Pin(14,machine.Pin.IN,"
                           b"machine.Pin.PULL_UP).value())\x04")
                out = _read_until(port, b"\x04\x04>", 5)
                seen &= (b"0" in out) == (i % 2 == 0)
            port.close()
            if not seen:
                raise RuntimeError("a press through the Python API was not seen by the next read")
        finally:
            twin.stop()
    # The floor of a round trip: the bytes of `print(1)` + Ctrl-D out, "OK1\r\n" and the
    # two Ctrl-Ds and the prompt back, at 10 bits a byte and 115200 baud.
    floor = (9 + 8) * 10 / 115200
    return [
        Row("twin start to first prompt", round(boot, 3), 1.0, "lower", {"start": [boot]},
            note="seconds, not a ratio (a board boots in about 0.5 s)"),
        ratio_row("twin raw REPL round trip vs UART floor", trips, [floor], goal=1.5,
                  labels=("twin", "floor"), note="print(1) over the twin's RFC2217 URL"),
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    print_table(measure(args.runs))


if __name__ == "__main__":
    main()
