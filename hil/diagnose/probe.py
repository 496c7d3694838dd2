"""Unattended readings through the REPL: P1, P2, P3, the press source, free pins, LEDs.

The board-side code is `hil/device/probe.py` (functions named ``dg_*``); this
module sends it, calls it, and turns its "0101..." windows into `Sample`s.
The meaning of the readings is `hil.diagnose.logic`'s business, not this one's.

Known behaviours:
- A board whose main.py runs the blink loop prints nothing: the only way to
  know it was running is the KeyboardInterrupt a Ctrl-C produces
  (MicroPython prints the traceback and a fresh prompt; shared/runtime/pyexec.c).
- The ESP8266 has no PULL_DOWN and GPIO16 no pull-up at all (docs/protocols.md §4).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

from hil.bench import BenchProfile
from hil.bench.profile import GPIO_LABELS
from hil.device import source
from hil.diagnose.logic import LedReadback, Readings, Sample, Verdict, decide
from hil.errors import BoardTimeoutError
from hil.repl import Repl, State

PERIOD_MS = 10  # 50 reads x 10 ms = a 0.5 s window (the app's half cycle)
INTERRUPT_WAIT = 3.0  # s for a Ctrl-C to bring the prompt back


def label(gpio: int) -> str:
    return GPIO_LABELS.get(gpio, f"GPIO{gpio}")


class BoardPins:
    """The dg_* functions of hil/device/probe.py on one board, as host calls."""

    def __init__(self, repl: Repl, profile: BenchProfile, window: int = 50,
                 period_ms: int = PERIOD_MS) -> None:
        self.repl = repl
        self.profile = profile
        self.n = window
        self.period_ms = period_ms

    def load(self) -> None:
        """Define the dg_* functions on the board, one top-level statement per exec.

        The raw REPL buffers a whole paste before compiling it, and a ~36 kB
        heap cannot hold a large one (MemoryError, on the board and the twin);
        gc.collect() first merges free runs for the compiler.
        """
        text = source("probe")
        for node in ast.parse(text).body:
            chunk = ast.get_source_segment(text, node)
            if chunk:
                self.repl.exec("import gc\ngc.collect()\n" + _strip_comments(chunk),
                               timeout=20.0)

    def call(self, expr: str, timeout: float = 15.0) -> object:
        return self.repl.eval(expr, timeout)  # Repl.eval: repr -> literal

    def windows(self, pins: list[int], pull: bool = True) -> list[Sample]:
        got = self.call(f"dg_windows({pins}, {self.n}, {self.period_ms}, {pull})")
        return [Sample.of(s) for s in got]  # type: ignore[union-attr]

    def stimulus(self, pins: list[int]) -> list[Sample]:
        stim = self.profile.stimulus
        assert stim is not None
        got = self.call(f"dg_stimulus({stim.gpio}, {pins}, {self.n}, {self.period_ms})")
        return [Sample.of(s) for s in got]  # type: ignore[union-attr]

    def pressed_by_actuator(self, pins: list[int]) -> list[Sample]:
        press = self.profile.press
        assert press is not None
        got = self.call(f"dg_pressed({press.gpio}, {pins}, {self.n}, {self.period_ms})")
        return [Sample.of(s) for s in got]  # type: ignore[union-attr]

    def leds(self) -> tuple[LedReadback, ...]:
        out = []
        for led in self.profile.leds:
            a, b = self.call(f"dg_led({led.gpio})")  # type: ignore[misc]
            out.append(LedReadback(led.label, led.gpio, int(a), int(b)))
        return tuple(out)

    def levels(self, pins: list[int]) -> list[int]:
        """One read of each pin as an input with pull-up (a probe's unpulled pad floats)."""
        got = self.call(f"dg_windows({pins}, 1, 0)", 5.0)
        return [int(v) for v in got]  # type: ignore[union-attr]

    def rest(self) -> None:
        p = self.profile
        inputs = [r.gpio for r in (p.ground_sense, p.rail_sense) if r is not None]
        inputs += p.free_gpios()
        stim = p.stimulus.gpio if p.stimulus else -1
        press = p.press.gpio if p.press else -1
        self.repl.exec(f"dg_rest({p.button.gpio}, {inputs}, {stim}, {press})")


def _strip_comments(code: str) -> str:
    return "\n".join(line for line in code.splitlines()
                     if line.strip() and not line.lstrip().startswith("#"))


def stop_app(repl: Repl) -> bool:
    """Stop whatever runs and reach an idle REPL; True if a program was running.

    A Ctrl-C at an idle prompt only prints a new prompt; one that stops a
    program prints its KeyboardInterrupt first.
    """
    if repl.state in (State.RAW, State.FRIENDLY):
        return False
    if repl.state is State.RUNNING:
        repl.interrupt()
        return True
    try:
        seen = _key(repl, b"\x03", "Ctrl-C")
        running = b"KeyboardInterrupt" in seen
    except BoardTimeoutError:
        # No prompt: a program ignoring Ctrl-C, or a raw REPL left behind by a
        # tool (Ctrl-C there is silent; Ctrl-B leaves it and prints the banner).
        try:
            seen = _key(repl, b"\x02", "Ctrl-B")
            running = b"KeyboardInterrupt" in seen
        except BoardTimeoutError:
            running = True
    repl.ensure_friendly_idle()
    return running


def _key(repl: Repl, key: bytes, name: str) -> bytes:
    repl.write(key)
    return repl.read_until(b">>> ", INTERRUPT_WAIT / 2, f"waiting for the prompt after {name}")


def restore_app(repl: Repl, was_running: bool) -> None:
    """Leave the board as found: if the app ran, soft-reset so main.py runs again."""
    if was_running:
        repl.soft_reset(run_main=True)


def collect_readings(repl: Repl, profile: BenchProfile, *, window: int = 50,
                     press: Callable[[bool], None] | None = None,
                     period_ms: int = PERIOD_MS) -> Readings:
    """The unattended readings: D5 idle, P1 (+ free pins), P2, P3, pressed, LEDs.

    ``press``: a press source (e.g. the twin's finger); None uses the profile's
    actuator if it has one, else D5 pressed is not measured. Pins are put back
    as the app and a reset leave them, also on errors.
    """
    if repl.state not in (State.RAW, State.FRIENDLY):
        stop_app(repl)
    pins = BoardPins(repl, profile, window, period_ms)
    pins.load()
    try:
        return probe_readings(pins, profile, press)
    finally:
        pins.rest()


def probe_readings(pins: BoardPins, profile: BenchProfile,
                   press: Callable[[bool], None] | None) -> Readings:
    """The readings the probes can take (device code already loaded); pins left as used."""
    notes: list[str] = []
    d5 = profile.button.gpio
    free = profile.free_gpios()
    sensed = [r.gpio for r in (profile.ground_sense, profile.rail_sense) if r is not None]
    pins.rest()
    # The free pins stay unpulled here: a pulled-up pin that shares a net with
    # D5 would hide a D5 pull-up that does not work (no-pullup).
    idle = pins.windows([d5, *sensed])
    d5_idle = idle[0]
    sense = dict(zip(sensed, idle[1:]))
    p2 = sense.get(profile.ground_sense.gpio) if profile.ground_sense else None
    p3 = sense.get(profile.rail_sense.gpio) if profile.rail_sense else None
    no_pull = pins.windows([d5], pull=False)[0] if d5 != 16 else None

    stim = None
    dropped: tuple[str, ...] = ()
    if profile.stimulus is not None:
        free_idle = pins.windows(free) if free else []
        low = pins.stimulus([d5, *free])
        pins.rest()
        stim = low[0]
        # A free pin that held 1 and fell to 0 with row A: W1 landed there.
        dropped = tuple(label(g) for g, before, after in zip(free, free_idle, low[1:])
                        if before.stable == 1 and after.stable == 0)
    else:
        notes.append("no stimulus probe (P1) in the bench profile")
    if profile.ground_sense is None:
        notes.append("no ground-sense probe (P2) in the bench profile")
    if profile.rail_sense is None:
        notes.append("no rail-sense probe (P3) in the bench profile")

    pressed = None
    if press is not None:
        press(True)
        try:
            pressed = pins.windows([d5])[0]
        finally:
            press(False)
    elif profile.press is not None:
        pressed = pins.pressed_by_actuator([d5])[0]
    else:
        notes.append("no press source: D5 pressed was not measured")

    leds = pins.leds()
    return Readings(d5_idle=d5_idle, d5_stimulus=stim, dropped=dropped, p2=p2, p3=p3,
                    d5_pressed=pressed, leds=leds, d5_idle_no_pull=no_pull, notes=tuple(notes))


@dataclass
class UnattendedRun:
    verdict: Verdict
    readings: Readings
    app_was_running: bool


def run_unattended(repl: Repl, profile: BenchProfile, *, window: int = 50,
                   period_ms: int = PERIOD_MS) -> UnattendedRun:
    """Stop the app, take the readings, decide, and start the app again if it ran."""
    was_running = stop_app(repl)
    try:
        readings = collect_readings(repl, profile, window=window, period_ms=period_ms)
    finally:
        restore_app(repl, was_running)
    return UnattendedRun(decide(readings), readings, was_running)


def diagnose_unattended(repl: Repl, profile: BenchProfile) -> Verdict:
    """The unattended verdict; the board is left as found (app running again if it ran)."""
    return run_unattended(repl, profile).verdict
