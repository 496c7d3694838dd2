"""Benchmark: the same esptool write-flash over the twin's RFC2217 URL and over its pty.

    .venv/bin/python bench/esptool_rfc2217_vs_pty.py [--baud 115200] [--size 0x40000] [--runs 1]

Goal (issue 3): over RFC2217 the twin answers every negotiation at once, so the
only extra cost is pyserial's own client-side floor: its RFC2217 client polls
for acknowledgements with ``time.sleep(0.05)`` (``serial/rfc2217.py``
``_reconfigure_port`` then the flow-control ``SET_CONTROL`` wait: about 100 ms
per reconfigure), and esptool reconfigures the port hundreds of times per
write (every ``port.timeout`` change). The script prints:

- the same ``write-flash`` over the twin's RFC2217 URL and over its pty, same
  baud, both from the serial bootloader with ``--before no-reset --after
  no-reset`` (esptool runs in a child process, instrumented to count the
  reconfigures/acknowledgement waits and the time spent in them);
- one reconfigure against the twin vs against pyserial's own ``PortManager``
  on ``loop://`` (the reference "answers at once" server): the difference is
  what the twin adds.

Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import esptool
import serial
import serial.rfc2217 as rfc

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import Row, print_table, ratio_row
from hil.sim.image import make_image
from hil.sim.twin import Twin

POLL = 0.05  # pyserial's sleep per acknowledgement poll


class WaitMeter:
    """Counts pyserial RFC2217 acknowledgement waits and the time spent in them."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    @contextlib.contextmanager
    def installed(self):  # type: ignore[no-untyped-def]
        orig_reconf = rfc.Serial._reconfigure_port
        orig_wait = rfc.TelnetSubnegotiation.wait
        meter = self

        depth = [0]

        def timed(orig):  # type: ignore[no-untyped-def]
            # Count only the outermost wait: _reconfigure_port itself waits for the
            # flow-control SET_CONTROL ack through TelnetSubnegotiation.wait.
            def wrapper(self_, *a, **k):  # type: ignore[no-untyped-def]
                depth[0] += 1
                t = time.monotonic()
                try:
                    return orig(self_, *a, **k)
                finally:
                    depth[0] -= 1
                    if depth[0] == 0:
                        meter.count += 1
                        meter.seconds += time.monotonic() - t

            return wrapper

        reconf = timed(orig_reconf)
        wait = timed(orig_wait)
        rfc.Serial._reconfigure_port = reconf
        rfc.TelnetSubnegotiation.wait = wait
        try:
            yield self
        finally:
            rfc.Serial._reconfigure_port = orig_reconf
            rfc.TelnetSubnegotiation.wait = orig_wait


def run_esptool(port: str, baud: int, image: Path) -> tuple[float, int, float]:
    """esptool write-flash in a child process (so the twin's threads do not share
    its GIL); returns (seconds, acknowledgement waits, seconds spent in them)."""
    argv = ["--chip", "esp8266", "--port", port, "--baud", str(baud), "--before", "no-reset",
            "--after", "no-reset", "write-flash", "0x0", str(image)]
    p = subprocess.run([sys.executable, __file__, "--child", *argv], check=False, capture_output=True,
                       text=True, timeout=600)
    out = p.stdout + p.stderr
    if p.returncode or "Hash of data verified" not in out:
        raise RuntimeError(f"esptool {' '.join(argv)} failed ({p.returncode}):\n{out}")
    result = json.loads(out.strip().splitlines()[-1])
    return result["seconds"], result["waits"], result["wait_seconds"]


def child(argv: list[str]) -> int:
    meter = WaitMeter()
    t = time.monotonic()
    code = 0
    with meter.installed():
        try:
            esptool.main(argv)
        except SystemExit as e:
            code = int(e.code or 0)
    sys.stdout.flush()
    print(json.dumps({"seconds": time.monotonic() - t, "waits": meter.count,
                      "wait_seconds": meter.seconds}))
    return code


def minimal_rfc2217_server() -> str:
    """pyserial's own PortManager over ``loop://``: the reference for "answers at once"."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def run() -> None:
        conn, _ = srv.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        ser = serial.serial_for_url("loop://", timeout=0)

        class Writer:
            def write(self, data: bytes) -> None:
                conn.sendall(data)

        pm = rfc.PortManager(ser, Writer())
        with conn:
            while data := conn.recv(4096):
                for _ in pm.filter(data):
                    pass
        srv.close()

    threading.Thread(target=run, name="reference-rfc2217", daemon=True).start()
    return f"rfc2217://127.0.0.1:{srv.getsockname()[1]}"


def reconfigure_ms(url: str, n: int = 40) -> float:
    """Mean time of one client-side reconfigure (what esptool's `port.timeout = x` costs)."""
    s = serial.serial_for_url(url, baudrate=115200)
    try:
        t = time.monotonic()
        for i in range(n):
            s.timeout = 0.1 + (i % 2) * 0.1
        return (time.monotonic() - t) / n * 1000
    finally:
        s.close()


def enter_bootloader(twin: Twin, timeout: float = 5.0) -> None:
    twin.reset(flash=True)
    deadline = time.monotonic() + timeout
    while twin.state()["boot"] not in ("rom", "stub"):
        if time.monotonic() > deadline:
            raise RuntimeError(f"twin did not enter the bootloader: {twin.state()['boot']}")
        time.sleep(0.02)


def measure(baud: int = 115200, size: int = 0x40000, runs: int = 1) -> list[Row]:
    """The same write over RFC2217 and over the pty; one reconfigure, twin vs reference."""
    with tempfile.TemporaryDirectory() as d:
        image = Path(d) / "firmware.bin"
        image.write_bytes(make_image("1.22.2", irom_size=size))
        with Twin(Path(d) / "state", erased=True) as twin:
            samples = []
            for _ in range(runs):
                enter_bootloader(twin)
                t_rfc, n, waits = run_esptool(twin.url, baud, image)
                enter_bootloader(twin)
                t_pty, _, _ = run_esptool(twin.pty, baud, image)
                samples.append((t_rfc, t_pty, n, waits))
            ref_ms = reconfigure_ms(minimal_rfc2217_server())
            twin_ms = reconfigure_ms(twin.url)
    rfc_t = [s[0] for s in samples]
    pty_t = [s[1] for s in samples]
    # What RFC2217 costs beyond the pty, less pyserial's own acknowledgement waits:
    # the twin's share. Goal: within 10% of the pty.
    net = [s[0] - s[3] for s in samples]
    return [
        ratio_row("esptool write-flash over RFC2217, less pyserial's waits, vs pty", net, pty_t,
                  goal=1.1, labels=("rfc2217 - client waits", "pty"),
                  note=f"{size // 1024} kB irom at {baud} baud; RFC2217 as measured "
                       f"{statistics.median(rfc_t):.1f} s, of which "
                       f"{statistics.median([s[3] for s in samples]):.1f} s in "
                       f"{samples[0][2]} client-side acknowledgement waits"),
        ratio_row("one RFC2217 reconfigure, twin vs pyserial's PortManager", [twin_ms / 1000],
                  [ref_ms / 1000], goal=1.1, labels=("twin", "reference"),
                  note="the reference answers at once; the difference is what the twin adds"),
    ]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baud", type=int, default=115200)
    ap.add_argument("--size", type=lambda s: int(s, 0), default=0x40000, help="irom0 size of the image")
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args(argv)
    print_table(measure(args.baud, args.size, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
