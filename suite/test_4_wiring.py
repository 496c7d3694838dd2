"""Jumper test and ground path: the unattended probes of docs/bench.md (P1, P2, P3)."""

from __future__ import annotations

import pytest

from fixtures import verdicts
from fixtures.board import Board
from hil.diagnose.probe import dropped_pins


def test_jumper_stimulus(board: Board) -> None:
    """P1 pulls row A low (open-drain): D5 reads 0; released, D5 reads 1; no other pin drops."""
    p = board.profile
    if p.stimulus is None:
        pytest.skip("the bench has no stimulus probe P1 (profile [probes] stimulus)")
    others = p.free_gpios()
    pins = [p.button.gpio, *others]
    idle = board.pins.windows(pins)
    low = board.pins.stimulus(pins)
    after = board.pins.windows([p.button.gpio])[0]
    problems = []
    if low[0].stable != 0:
        problems.append(f"while {p.stimulus} pulled row A low, {p.button} read "
                        f"{low[0].describe()} (want 0)")
    if after.stable != 1:
        problems.append(f"after {p.stimulus} released row A, {p.button} read "
                        f"{after.describe()} (want 1)")
    dropped = dropped_pins(p, others, idle[1:], low[1:])
    if dropped:
        problems.append("pins that dropped instead: " + ", ".join(dropped))
    if problems:
        pytest.fail("jumper test: " + "; ".join(problems) + ". "
                    + verdicts.diagnose(board),
                    pytrace=False)


def test_ground_path(board: Board) -> None:
    """P2 (row B) and P3 (rail far half) read 0: the button's ground path is whole."""
    p = board.profile
    probes = [r for r in (p.ground_sense, p.rail_sense) if r is not None]
    if not probes:
        pytest.skip("the bench has no ground-sense probes P2/P3 (profile [probes])")
    windows = board.pins.windows([r.gpio for r in probes])
    bad = [f"{r} read {w.describe()}" for r, w in zip(probes, windows) if w.stable != 0]
    if bad:
        pytest.fail("ground path: " + "; ".join(bad) + " (want 0: a pull-up input reads 0 "
                    "only through a whole path to GND). "
                    + verdicts.diagnose(board), pytrace=False)

