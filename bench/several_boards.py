"""Benchmark: the same work on two boards at once (pytest -n 2) against one board.

    .venv/bin/python -m bench several_boards

Same work both ways: the whole suite twice on one twin (two runs, one after
the other), against the whole suite once on each of two twins in one run
(``pytest -n 2 --dist each --port URL1 --port URL2``). The twins run in their
own processes (``hil sim``) and already hold the firmware and the app (a first
run on each flashed and deployed), as boards on a bench do. Goal: the two-board
wall time at most 0.6x the one-board time. Shown, never asserted: the machine is
shared and noisy.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import BIN, Row, ratio_row, run, sim, standalone

GOAL = 0.6


def _suite(*args: str) -> float:
    """Wall time of one ``pytest suite`` run as a user types it (it must pass)."""
    started = time.monotonic()
    run([str(BIN / "pytest"), "suite", "-q", "-p", "no:cacheprovider", *args],
        env={"CI": "1", "HIL_ARTIFACTS": os.environ.get("HIL_ARTIFACTS", "")
             or str(Path(os.environ.get("TMPDIR", "/tmp")) / "hil-bench-artifacts")})
    return time.monotonic() - started


def measure(runs: int = 1) -> list[Row]:
    one, two = [], []
    with contextlib.ExitStack() as stack:
        a = stack.enter_context(sim())
        b = stack.enter_context(sim())
        _suite(f"--port={a.url}")  # first runs: deploy the app, so the measured ones
        _suite(f"--port={b.url}")  # find nothing to write on either board
        for _ in range(runs):
            one.append(_suite(f"--port={a.url}") + _suite(f"--port={a.url}"))
            two.append(_suite("-n", "2", "--dist", "each", f"--port={a.url}",
                              f"--port={b.url}"))
    return [ratio_row("suite x2: two boards (-n 2) / one board", two, one, goal=GOAL,
                      labels=("2 boards, -n 2 --dist each", "1 board, 2 runs"),
                      note="same work: 16 suite tests; twins over RFC2217")]


if __name__ == "__main__":
    raise SystemExit(standalone(measure, __doc__))
