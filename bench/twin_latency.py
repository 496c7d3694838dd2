"""Benchmark: how fast and how small the virtual bench is.

    .venv/bin/python bench/twin_latency.py [--runs 20]

Goals (shown, not asserted):
- a new twin answers `>>> ` within 1 s of Twin.start() (a board boots in ~0.5 s);
- one raw-REPL round trip (exec of `print(1)`) is dominated by the UART at
  115200 baud, as on a board: well under 50 ms;
- a button press through the Python API is seen by the next pin read;
- the twin (host process side + interpreter process) stays under 100 MB RSS.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time

import serial

from hil.sim.twin import Twin


def _read_until(port: serial.Serial, marker: bytes, timeout: float) -> bytes:
    deadline = time.monotonic() + timeout
    buf = b""
    while not buf.endswith(marker):
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout} s for {marker!r}; got {buf[-80:]!r}")
        buf += port.read(1)
    return buf


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
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
            for _ in range(args.runs):
                t = time.monotonic()
                port.write(b"print(1)\x04")
                _read_until(port, b"\x04\x04>", 5)
                trips.append(time.monotonic() - t)
            press = []
            for i in range(5):
                twin.press(i % 2 == 0)
                t = time.monotonic()
                port.write(b"import machine;print(machine.Pin(14,machine.Pin.IN,machine.Pin.PULL_UP).value())\x04")
                out = _read_until(port, b"\x04\x04>", 5)
                press.append((time.monotonic() - t, out))
            port.close()
            print(f"twin start to first prompt : {boot * 1000:7.1f} ms   (goal < 1000 ms)")
            print(f"raw REPL exec round trip   : median {statistics.median(trips) * 1000:6.1f} ms, "
                  f"max {max(trips) * 1000:6.1f} ms over {args.runs}   (goal < 50 ms)")
            seen = all((b"0" in out) == (i % 2 == 0) for i, (_, out) in enumerate(press))
            print(f"press seen by the next read: {'yes' if seen else 'NO'}")
            host_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            chip = twin.chip
            interp = getattr(chip, "_interp", None) or getattr(chip, "interpreter", None)
            pid = getattr(interp, "pid", None)
            line = f"host process peak RSS     : {host_mb:7.1f} MB"
            if pid:
                line += f"; interpreter RSS {_rss_mb(pid):6.1f} MB"
            print(line + "   (goal < 100 MB together)")
        finally:
            twin.stop()


if __name__ == "__main__":
    main()
