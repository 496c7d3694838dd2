"""The button: 1 released, 0 pressed; a press stops the app; short presses may be missed."""

from __future__ import annotations

import pytest
from hil_pytest import verdicts
from hil_pytest.board import Board
from hil_pytest.measure import run_app
from hil_pytest.press import OperatorPress, PressSource

from hil.diagnose.logic import Sample
from hil.errors import BoardTimeoutError
from hil.waveform import plot


def _window(board: Board) -> Sample:
    """A window of reads of the button (hil/device/bench_io.py): a flickering contact shows."""
    return board.pins.windows([board.profile.button.gpio])[0]


def test_button_reads_released_and_pressed(board: Board, press: PressSource) -> None:
    p = board.profile
    released = _window(board)
    press.hold(board.repl)
    try:
        pressed = _window(board)
    finally:
        press.release(board.repl)
    after = _window(board)
    b = p.button.label  # flicker counts for the bench's history (hil health)
    board.tally(f"released_reads.{b}", released.values.count(0) + after.values.count(0),
                len(released.values) + len(after.values))
    board.tally(f"pressed_reads.{b}", pressed.values.count(1), len(pressed.values))
    problems = []
    if released.stable != 1:
        problems.append(f"released it read {released.describe()} (want all 1)")
    if pressed.stable != 0:
        problems.append(f"pressed by {press.name} it read {pressed.describe()} (want all 0)")
    if after.stable != 1 and released.stable == 1:
        problems.append(f"released again it read {after.describe()} (want all 1)")
    if problems:
        pytest.fail(f"the button on {p.button}: " + "; ".join(problems) + ". "
                    + verdicts.diagnose(board),
                    pytrace=False)


def test_press_stops_app(board: Board, press: PressSource) -> None:
    """A press of one whole cycle (or more) makes the app leave its loop, LEDs off."""
    p = board.profile
    cycle = 2 * p.half_cycle_s
    if press.actuator_gpio >= 0:
        hold = 1.5 * cycle
        run = run_app(board, window_s=1.2 * cycle + hold + cycle + p.tolerance_s + 1.0,
                      press_at_s=1.2 * cycle, press_s=hold)
    else:
        assert isinstance(press, OperatorPress)
        board.repl.start("import main\n")
        press.ask(f"the app is blinking: press and hold the button on {p.button} for "
                  f"{1.5 * cycle:.1f} s, then release it")
        run = None
    if run is not None:
        picture = plot(run.trace, board.artifact("press.svg"), title="press stops the app")
        if run.returned:  # the app's last LED write after the press: when it stopped
            after = [t for ch in (0, 1) for t, _ in run.trace.edges(ch) if t >= run.pressed_at_ms]
            if after:
                board.record("press_to_stop_s", round((max(after) - run.pressed_at_ms) / 1000, 3))
        if not run.returned:
            seen = run.button_during_press()
            pytest.fail(
                f"the app kept blinking although {press.name} held the button for "
                f"{hold:.1f} s (longer than its {cycle:.1f} s cycle); {p.button} read "
                f"{_fmt(seen)} during the press. "
                + verdicts.diagnose(board)
                + f" Waveform: {picture}", pytrace=False)
    else:
        try:
            board.repl.wait(timeout=3 * cycle)
        except BoardTimeoutError:  # still blinking: the press did not stop it
            board.repl.interrupt()
            pytest.fail(f"the app kept blinking after the button on {p.button} was pressed "
                        f"for {1.5 * cycle:.1f} s. " + verdicts.diagnose(board),
                        pytrace=False)
    levels = board.pins.levels([p.led.gpio, p.led2.gpio])
    off = [1 if led.active_low else 0 for led in p.leds]
    assert levels == off, (
        f"after the app left its loop, the LED pins {p.led} and {p.led2} read {levels}; "
        f"both LEDs off means {off} (active-low: 1 = dark). "
        + verdicts.diagnose(board))


SHORT_PRESSES_S = (0.1, 0.3, 0.6, 1.1)
PRESS_AT_CYCLES = 1.25  # a quarter into a cycle: just after the app's button read


def press_window_s(length: float, cycle: float, tolerance: float) -> float:
    """How long a short-press run watches the app: until one whole cycle after the
    release (the app's next read must come after it), plus the tolerance and the
    app's start (``import main``). bench/suite_time.py counts these as the floor."""
    return PRESS_AT_CYCLES * cycle + length + cycle + tolerance + 0.5


def test_short_press_limit(board: Board, press: PressSource) -> None:
    """Characterises which press lengths the app sees (it reads the button once a cycle).

    Presses shorter than the rest of the current cycle may be missed, as the
    chapter says; only presses of at least one whole cycle must always be seen.
    """
    if press.actuator_gpio < 0:
        pytest.skip("timed presses need the bench's press actuator; a person cannot press "
                    "for 0.1 s on cue")
    p = board.profile
    cycle = 2 * p.half_cycle_s
    seen: dict[float, bool] = {}
    lines = []
    for i, length in enumerate(SHORT_PRESSES_S):
        if i:
            board.reset()  # app stopped, fresh interpreter, pins at rest
        at = PRESS_AT_CYCLES * cycle
        run = run_app(board, window_s=press_window_s(length, cycle, p.tolerance_s),
                      press_at_s=at, press_s=length)
        seen[length] = run.returned
        # The app reads the button once per cycle, just before led.on() writes
        # the first LED's pin high (firmware/main.py): its start (t = 0, the
        # sampler starts with it) and each rising edge of that pin mark a read.
        reads = [0.0] + [t / 1000 for t, v in run.trace.edges(0) if v == 1]
        lines.append(f"{length:.1f} s press at {run.pressed_at_ms / 1000:.2f}-"
                     f"{run.released_at_ms / 1000:.2f} s: "
                     f"{'seen' if run.returned else 'missed'} (the app read the button at "
                     f"{', '.join(f'{r:.2f}' for r in reads) or 'no time'} s)")
    table = ", ".join(f"{k:.1f} s: {'seen' if v else 'missed'}" for k, v in seen.items())
    board.record("short_press", {f"{k:.1f}": v for k, v in seen.items()})
    print(f"press lengths the app saw (cycle {cycle:.1f} s): {table}")
    print("\n".join(lines))
    long_missed = [k for k, v in seen.items() if k >= cycle and not v]
    if long_missed:
        pytest.fail(f"presses of at least one cycle ({cycle:.1f} s) must always stop the app, "
                    f"but {', '.join(f'{k:.1f} s' for k in long_missed)} did not ({table}). "
                    + verdicts.diagnose(board), pytrace=False)


def _fmt(values) -> str:
    vals = list(values)
    if not vals:
        return "nothing"
    if len(set(vals)) == 1:
        return f"{vals[0]} ({len(vals)}x)"
    return "".join(str(v) for v in vals)
