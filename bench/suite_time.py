"""Benchmark: how long the on-board suite holds a board, against what the app's physics forces.

    .venv/bin/python -m bench suite_time

The suite runs as a person runs it, ``pytest --port PTY``, on a twin that already
holds the firmware and the app (a first run flashes and deploys; the measured
runs find nothing to write). Each test's floor comes from its own windows:
the blink cycles it watches, the sampling windows it reads (hil/diagnose/probe.py),
and for each press the time until the app's next button read (the app reads
once a cycle, just before it lights the first LED; firmware/main.py), or for a
short press the app misses, the window the test watches it for (one cycle past
the release: suite/test_3_button.py press_window_s). Goal: the tests take at
most 1.3x their floors. Also shown: the time before the first test starts (process
start, collection, port open, flash check, deploy) and the slowest test with
its share; and the peak resident memory of the harness (pytest) and the twin
(its host process and interpreter) while the suite runs.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import BIN, Row, descendants, median, ratio_row, rss_mb, sim, standalone


def floors() -> dict[str, float]:
    """Seconds of app and sampling time each suite test needs, from the tests' own parameters."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from hil.bench import load_profile
    from hil.diagnose.probe import PERIOD_MS, WINDOW
    from suite import test_2_leds
    from suite.test_3_button import PRESS_AT_CYCLES, SHORT_PRESSES_S, press_window_s

    p = load_profile(None)
    cycle = 2 * p.half_cycle_s
    window = WINDOW * PERIOD_MS / 1000  # one bench reading (hil/diagnose/probe.py BoardPins)

    def next_read(at_s: float) -> float:
        """The app's first button read at or after ``at_s`` (it reads at whole cycles)."""
        return math.ceil(at_s / cycle - 1e-9) * cycle

    return {
        "test_firmware_version": 0.0,
        "test_files_match": 0.0,
        "test_leds_blink_in_antiphase": test_2_leds.CYCLES * cycle,
        "test_button_reads_released_and_pressed": 3 * window,  # released, pressed, released
        "test_press_stops_app": next_read(1.2 * cycle),
        # each press: a press the app sees ends the run at its next read; one it misses
        # is watched for the test's whole window (a cycle past the release)
        "test_short_press_limit": sum(
            next_read(at) if at + length >= next_read(at)
            else press_window_s(length, cycle, p.tolerance_s)
            for length in SHORT_PRESSES_S for at in [PRESS_AT_CYCLES * cycle]),
        "test_jumper_stimulus": 3 * window,   # idle, P1 pulling, released
        "test_ground_path": window,           # P2 and P3 in one window
    }


class PeakRss:
    """Polls the resident sets of two process trees while the suite runs."""

    def __init__(self) -> None:
        self.roots: dict[str, int] = {}
        self.peak: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> PeakRss:  # noqa: PYI034 (Python 3.10: no typing.Self)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        while not self._stop.wait(0.05):
            for name, pid in list(self.roots.items()):
                self.peak[name] = max(self.peak.get(name, 0.0), rss_mb(descendants(pid)))


def run_suite(port: str, times_file: Path, rss: PeakRss, twin_pid: int) -> tuple[float, dict]:
    """One ``pytest --port`` run; its wall time and the timer plugin's record."""
    import subprocess

    cmd = [str(BIN / "pytest"), f"--port={port}", "-p", "bench._suite_timer", "-q",
           "-p", "no:cacheprovider"]
    repo = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "HIL_BENCH_TIMES": str(times_file),
           "PYTHONPATH": os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")]))}
    t0 = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, cwd=Path(__file__).resolve().parent.parent)
    rss.roots = {"harness": proc.pid, "twin": twin_pid}
    out, _ = proc.communicate(timeout=600)
    wall = time.time() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"the suite did not pass on the twin ({proc.returncode}):\n{out[-3000:]}")
    record = json.loads(times_file.read_text())
    record["launched"] = t0
    return wall, record


def measure(runs: int = 3) -> list[Row]:
    fl = floors()
    with tempfile.TemporaryDirectory(prefix="hil-bench-suite-") as d, sim() as twin:
        times_file = Path(d) / "times.json"
        with PeakRss() as rss:
            run_suite(twin.pty, times_file, rss, twin.proc.pid)  # flash check + deploy
            records = [run_suite(twin.pty, times_file, rss, twin.proc.pid) for _ in range(runs)]
    per_test: dict[str, list[float]] = {}
    before_first: list[float] = []
    totals: list[float] = []
    for _wall, rec in records:
        tests = rec["tests"]
        first = min(ph["setup"][0] for ph in tests.values() if "setup" in ph)
        first_call = min(ph["call"][0] for ph in tests.values() if "call" in ph)
        before_first.append(first_call - rec["launched"])
        # The session's fixtures (port, flash check, deploy) run in the first test's
        # set-up: count there only what every other test's set-up costs.
        setups = [ph["setup"][1] - ph["setup"][0] for ph in tests.values()
                  if "setup" in ph and ph["setup"][0] != first]
        typical_setup = median(setups) if setups else 0.0
        total = 0.0
        for nodeid, ph in tests.items():
            name = nodeid.split("::")[-1]
            spent = sum(ph[w][1] - ph[w][0] for w in ("setup", "call", "teardown") if w in ph)
            if ph.get("setup", [0, 0])[0] == first:
                spent -= (ph["setup"][1] - ph["setup"][0]) - typical_setup
            per_test.setdefault(name, []).append(spent)
            total += spent
        totals.append(total)
    floor_total = sum(fl.values())
    rows = [ratio_row("suite on a flashed board vs its physics floor", totals, [floor_total],
                      goal=1.3, labels=("tests", "floor"),
                      note="pytest --port PTY; session set-up (before the first test) excluded")]
    print(f"{'test':<42} {'median s':>9} {'floor s':>8} {'ratio':>6}")
    for name, xs in per_test.items():
        f = fl.get(name, 0.0)
        print(f"{name:<42} {median(xs):9.2f} {f:8.2f} {median(xs) / f if f else float('inf'):6.2f}")
    slow = max(per_test, key=lambda n: median(per_test[n]))
    share = median(per_test[slow]) / median(totals)
    print(f"slowest step: {slow}, {median(per_test[slow]):.2f} s = {share:.0%} of the tests' time")
    print(f"before the first test: {median(before_first):.2f} s (process start, collection, "
          f"port open, flash check, deploy, the first known state)")
    rows.append(Row("time before the first test (flashed board)", round(median(before_first), 3),
                    5.0, "lower", {"before first test": before_first},
                    note="seconds, not a ratio: pytest start to the first test's call"))
    rows.append(Row("peak RSS of the harness (pytest)", round(rss.peak.get("harness", 0), 1), 150,
                    "lower", {"harness MB": [rss.peak.get("harness", 0)]}, unit="MB",
                    note="MB, not a ratio"))
    rows.append(Row("peak RSS of the twin (host + interpreter)", round(rss.peak.get("twin", 0), 1),
                    100, "lower", {"twin MB": [rss.peak.get("twin", 0)]}, unit="MB",
                    note="MB, not a ratio"))
    return rows


if __name__ == "__main__":
    sys.exit(standalone(measure, __doc__))
