"""Jumper test and ground path: the unattended probes of docs/bench.md (P1, P2, P3)."""

from __future__ import annotations

import pytest
from hil_pytest import verdicts
from hil_pytest.board import Board

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
    b = p.button.label  # flicker counts for the bench's history (hil health)
    board.tally(f"released_reads.{b}", idle[0].values.count(0) + after.values.count(0),
                len(idle[0].values) + len(after.values))
    board.tally(f"stimulus_reads.{b}", low[0].values.count(1), len(low[0].values))
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
    kinds = {p.ground_sense: "ground_reads", p.rail_sense: "rail_reads"}
    for r, w in zip(probes, windows):
        board.tally(f"{kinds[r]}.{r.label}", w.values.count(1), len(w.values))
    bad = [f"{r} read {w.describe()}" for r, w in zip(probes, windows) if w.stable != 0]
    if bad:
        pytest.fail("ground path: " + "; ".join(bad) + " (want 0: a pull-up input reads 0 "
                    "only through a whole path to GND). "
                    + verdicts.diagnose(board), pytrace=False)

