"""Jumper test and ground path: the unattended probes of docs/bench.md (P1, P2, P3)."""

from __future__ import annotations

import pytest
from hil_pytest import verdicts
from hil_pytest.board import Board


def test_jumper_stimulus(board: Board) -> None:
    """P1 pulls row A low (open-drain): D5 reads 0; released, D5 reads 1; no other pin drops."""
    p = board.profile
    if p.stimulus is None:
        pytest.skip("the bench has no stimulus probe P1 (profile [probes] stimulus)")
    others = p.free_gpios()
    idle, low, after = board.call(
        f"stimulus({p.stimulus.gpio}, {p.button.gpio}, {others}, 40, 5)", timeout=20.0)
    problems = []
    if set(low[0]) != {0}:
        problems.append(f"while {p.stimulus} pulled row A low, {p.button} read "
                        f"{_fmt(low[0])} (want 0)")
    if set(after[0]) != {1}:
        problems.append(f"after {p.stimulus} released row A, {p.button} read "
                        f"{_fmt(after[0])} (want 1)")
    b = p.button.label  # flicker counts for the bench's history (hil health)
    board.tally(f"released_reads.{b}", list(idle[0]).count(0) + list(after[0]).count(0),
                len(idle[0]) + len(after[0]))
    board.tally(f"stimulus_reads.{b}", list(low[0]).count(1), len(low[0]))
    dropped = [g for g, a, b in zip(others, idle[1:], low[1:]) if set(a) == {1} and 0 in b]
    if dropped:
        problems.append("pins that dropped instead: "
                        + ", ".join(verdicts.label(g) for g in dropped))
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
    windows = board.call(f"windows({[r.gpio for r in probes]}, 40, 5)")
    kinds = {p.ground_sense: "ground_reads", p.rail_sense: "rail_reads"}
    for r, w in zip(probes, windows):
        board.tally(f"{kinds[r]}.{r.label}", list(w).count(1), len(w))
    bad = [f"{r} read {_fmt(w)}" for r, w in zip(probes, windows) if set(w) != {0}]
    if bad:
        pytest.fail("ground path: " + "; ".join(bad) + " (want 0: a pull-up input reads 0 "
                    "only through a whole path to GND). "
                    + verdicts.diagnose(board), pytrace=False)


def _fmt(values) -> str:
    vals = list(values)
    if len(set(vals)) == 1:
        return f"{vals[0]}"
    return "".join(str(v) for v in vals)
