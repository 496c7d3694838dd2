"""`hil health`'s judgement on history lines: new flicker, drift, steady nights."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hil.nightly import health


def night(**figures) -> dict:
    return {"time": "2026-01-01T02:00:00+00:00", "board": "ac:d0:74:00:00:01", "exit": 0,
            "figures": figures}


def steady(n: int, **extra) -> list[dict]:
    return [night(**{"released_reads.D5": {"count": 0, "of": 40},
                     "led_half_period_s.D4": 0.5 + 0.001 * (i % 3), **extra})
            for i in range(n)]


def test_new_flicker_is_flagged_in_words_a_person_acts_on() -> None:
    nights = steady(14) + [night(**{"released_reads.D5": {"count": 2, "of": 40},
                                    "led_half_period_s.D4": 0.501})]
    (f,) = health.analyse(nights)
    assert f.kind == "new-flicker"
    assert f.text == ("D5 read 0 in 2 of 40 released reads tonight, never in the 14 nights "
                      "before: a contact on W1 or the button is wearing")


def test_every_read_wrong_is_a_fault_not_wear() -> None:
    # a dead button: the suite fails and the diagnosis names it; "wearing" would mislead
    nights = steady(3) + [night(**{"pressed_reads.D5": {"count": 50, "of": 50}})]
    assert health.analyse(nights) == []
    assert health.analyse([night(**{"pressed_reads.D5": {"count": 50, "of": 50}})]) == []


def test_steady_nights_flag_nothing() -> None:
    assert health.analyse(steady(10)) == []


def test_a_known_flicker_is_flagged_only_when_it_grows() -> None:
    old = steady(9) + [night(**{"released_reads.D5": {"count": 1, "of": 40}})]
    same = old + [night(**{"released_reads.D5": {"count": 1, "of": 40}})]
    assert health.analyse(same) == []
    worse = old + [night(**{"released_reads.D5": {"count": 6, "of": 40}})]
    assert [f.kind for f in health.analyse(worse)] == ["more-flicker"]


def test_drift_names_the_figure_and_what_to_check() -> None:
    nights = steady(8) + [night(**{"released_reads.D5": {"count": 0, "of": 40},
                                   "led_half_period_s.D4": 0.56})]
    (f,) = health.analyse(nights)
    assert f.kind == "drift" and "LED D4 half period 0.56 s tonight" in f.text
    assert "up" in f.text and "clock" in f.text


def test_a_faster_repl_is_not_a_problem() -> None:
    nights = [night(repl_round_trip_ms=40.0 + i % 2) for i in range(6)] + \
             [night(repl_round_trip_ms=4.0)]
    assert health.analyse(nights) == []


def test_hil_health_command(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    nights = steady(5) + [night(**{"released_reads.D5": {"count": 3, "of": 160}})]
    path.write_text("".join(json.dumps(n) + "\n" for n in nights) + "not json\n")
    proc = subprocess.run([sys.executable, "-m", "hil.cli", "health", "--history", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert "D5 read 0 in 3 of 160 released reads tonight, never in the 5 nights before" \
        in proc.stdout
    assert "released_reads.D5" in proc.stdout  # one plotted line per figure
    missing = subprocess.run([sys.executable, "-m", "hil.cli", "health", "--history",
                              str(tmp_path / "none.jsonl")], capture_output=True, text=True,
                             timeout=60)
    assert missing.returncode == 2 and "no such history file" in missing.stderr


def test_chart_is_inline_svg() -> None:
    svg = health.svg_chart(steady(4), "led_half_period_s.D4", flagged=True)
    assert svg.startswith("<svg") and "polyline" in svg and "#c62828" in svg
