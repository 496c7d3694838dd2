"""Benchmark: `hil diagnose --auto`, wall time against the probe reads it makes.

    .venv/bin/python -m bench diagnose_time

Run as a person runs it, a process (``hil diagnose --port PTY --auto --json``)
on a twin with the reference bench. The floor is the sampling the unattended
diagnosis needs (hil/diagnose/probe.py ``probe_readings``): each window is
``--window`` reads ``--period-ms`` apart, and with the reference profile it
takes five of them (D5 idle with P2 and P3, D5 without pull-up, the free pins
idle, P1 pulling row A, the actuator pressing). Goal: at most 1.5x the floor.
The wall time contains the process start (Python, imports) and the port open.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import Row, ratio_row, run, sim, standalone, timed, tool
from hil.diagnose.probe import PERIOD_MS, WINDOW  # hil diagnose's defaults  # noqa: E402

WINDOWS = 5      # see the docstring: the reference bench's unattended readings


def measure(runs: int = 3) -> list[Row]:
    floor = WINDOWS * WINDOW * PERIOD_MS / 1000
    with sim() as twin:
        cmd = [tool("hil"), "diagnose", "--port", twin.pty, "--auto", "--json",
               "--picture", "none", "--window", str(WINDOW), "--period-ms", str(PERIOD_MS)]

        def once() -> None:
            p = run(cmd, check=False, timeout=120)
            verdict = json.loads(p.stdout)["verdict"]
            if verdict != "ok":
                raise RuntimeError(f"hil diagnose on a sound twin said {verdict!r}:\n{p.stdout}")

        walls = timed(once, runs)
    return [ratio_row("hil diagnose --auto vs its sampling floor", walls, [floor], goal=1.5,
                      labels=("hil diagnose", "floor"),
                      note=f"{WINDOWS} windows of {WINDOW} reads {PERIOD_MS} ms apart; "
                           f"the wall time contains the process start")]


if __name__ == "__main__":
    sys.exit(standalone(measure, __doc__))
