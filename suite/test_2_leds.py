"""LEDs: while the app runs, both LED pins toggle in antiphase with a 1 s cycle.

Measured by the board itself (a virtual Timer samples the pins while the app
runs); the waveform goes into the report as VCD and SVG.
"""

from __future__ import annotations

import statistics

import pytest
from hil_pytest import verdicts
from hil_pytest.board import Board
from hil_pytest.measure import run_app

from hil.waveform import check_blink, plot, write_vcd

CYCLES = 3.5  # whole cycles to watch: several half cycles of each LED


def test_leds_blink_in_antiphase(board: Board) -> None:
    p = board.profile
    window = CYCLES * 2 * p.half_cycle_s
    run = run_app(board, window_s=window)
    trace = run.trace
    vcd = write_vcd(trace, board.artifact("leds.vcd"))
    picture = plot(trace, board.artifact("leds.svg"),
               title=f"LEDs while the app ran ({p.led} and {p.led2}, active-low: 0 = lit)")
    for ch, led in enumerate((p.led, p.led2)):  # for the bench's history (hil health)
        halves = trace.half_periods(ch)
        if halves:
            board.record(f"led_half_period_s.{led.label}", round(statistics.fmean(halves), 4))
            board.record(f"led_jitter_ms.{led.label}",
                         round(1000 * statistics.pstdev(halves), 2))

    if run.returned:
        # The loop ends when the button reads 0: the app never blinked.
        pytest.fail(
            f"the app left its loop after {trace.end_ms / 1000:.2f} s without being pressed: "
            f"the button on {p.button} read 0 (pressed) at start. "
            + verdicts.diagnose(board) + f" Waveform: {picture}", pytrace=False)
    check = check_blink(trace.select((0, 1)), half_cycle_s=p.half_cycle_s, tolerance_s=p.tolerance_s,
                        active_low=tuple(led.active_low for led in p.leds))
    if trace.samples < 10:
        pytest.fail(f"the board's sampler ran only {trace.samples} times in {window:.1f} s; "
                    f"its Timer(-1) did not run while the app ran", pytrace=False)
    if not check.ok:
        hint = verdicts.diagnose(board)
        pytest.fail("the LEDs do not blink as the app promises: " + "; ".join(check.problems)
                    + (f". {hint}" if hint else "") + f". Waveform: {picture} (VCD {vcd})",
                    pytrace=False)
