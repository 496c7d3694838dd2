"""Bench readings through the REPL: the one path from the board to a `Readings`.

The board-side code is `hil/device/bench_io.py`; `BoardPins` sends it
(``hil.device.load``), calls it, and turns its "0101..." windows into
`Sample`s; `collect_readings` takes every unattended reading of the catalogue.
The suite's tests and failure messages (fixtures/verdicts.py) and `hil
diagnose` (unattended and guided) all read the bench through here, so they
cannot disagree about what was measured. What the readings mean is
`hil.diagnose.logic`'s business, not this one's.

Known behaviours:
- A board whose main.py runs the blink loop prints nothing: the only way to
  know it was running is the KeyboardInterrupt a Ctrl-C produces
  (MicroPython prints the traceback and a fresh prompt; shared/runtime/pyexec.c).
- The ESP8266 has no PULL_DOWN and GPIO16 no pull-up at all (docs/protocols.md §4).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hil.bench import BenchProfile, PinRef
from hil.device import load
from hil.diagnose.logic import LedReadback, Readings, Sample, Verdict, decide
from hil.errors import BoardTimeoutError
from hil.repl import Repl, State

WINDOW = 50  # reads per window
PERIOD_MS = 10  # 50 reads x 10 ms = a 0.5 s window (the app's half cycle)
INTERRUPT_WAIT = 3.0  # s for a Ctrl-C to bring the prompt back


class BoardPins:
    """The functions of hil/device/bench_io.py on one board, as host calls."""

    def __init__(self, repl: Repl, profile: BenchProfile, window: int = WINDOW,
                 period_ms: int = PERIOD_MS) -> None:
        self.repl = repl
        self.profile = profile
        self.n = window
        self.period_ms = period_ms

    def load(self) -> None:
        """Define bench_io's functions in the board's REPL namespace."""
        load(self.repl, "bench_io")

    def call(self, expr: str, timeout: float = 15.0) -> object:
        return self.repl.eval(expr, timeout)  # Repl.eval: repr -> literal

    def _windows(self, call: str, tail: str = "") -> list[Sample]:
        """Call a bench_io function that returns "0101..." windows; one Sample per pin.

        ``call`` is the call up to its window arguments (n, period_ms), ``tail``
        what follows them.
        """
        timeout = 15.0 + self.n * self.period_ms / 1000
        got = self.call(f"{call}, {self.n}, {self.period_ms}{tail})", timeout)
        return [Sample.of(s) for s in got]  # type: ignore[union-attr]

    def _role(self, ref: PinRef | None, what: str) -> PinRef:
        if ref is None:
            raise ValueError(f"bench profile {self.profile.name} has no {what}")
        return ref

    def windows(self, pins: list[int], pull: bool = True) -> list[Sample]:
        """A window of each pin, read as an input (with its pull-up unless ``pull`` is False)."""
        return self._windows(f"windows({pins}", f", {pull}")

    def stimulus(self, pins: list[int]) -> list[Sample]:
        """Windows of ``pins`` while P1 pulls row A low (open-drain)."""
        stim = self._role(self.profile.stimulus, "stimulus probe (P1)")
        return self._windows(f"stimulus({stim.gpio}, {pins}")

    def pressed_by_actuator(self, pins: list[int]) -> list[Sample]:
        """Windows of ``pins`` while the press actuator holds the button."""
        act = self._role(self.profile.press, "press actuator")
        return self._windows(f"pressed({act.gpio}, {pins}")

    def press(self, on: bool) -> None:
        """Drive the press actuator (high presses); the profile must have one."""
        act = self._role(self.profile.press, "press actuator")
        self.repl.exec(f"press({act.gpio}, {int(on)})")

    def leds(self) -> tuple[LedReadback, ...]:
        out = []
        for led in self.profile.leds:
            a, b = self.call(f"led({led.gpio})")  # type: ignore[misc]
            out.append(LedReadback(led.label, led.gpio, int(a), int(b)))
        return tuple(out)

    def levels(self, pins: list[int]) -> list[int]:
        """Pad levels now, without reconfiguring the pins."""
        got = self.call(f"levels({pins})", 5.0)
        return [int(v) for v in got]  # type: ignore[union-attr]

    def pulled_levels(self, pins: list[int]) -> list[int]:
        """One read of each pin as an input with pull-up (a probe's unpulled pad floats)."""
        got = self.call(f"windows({pins}, 1, 0)", 5.0)
        return [int(v) for v in got]  # type: ignore[union-attr]

    def rest(self) -> None:
        """Pins as the app and a reset leave them: the button pulled up, the rest inputs."""
        p = self.profile
        inputs = [led.gpio for led in p.leds]
        inputs += [r.gpio for r in (p.ground_sense, p.rail_sense) if r is not None]
        inputs += p.free_gpios()
        stim = p.stimulus.gpio if p.stimulus else -1
        act = p.press.gpio if p.press else -1
        self.repl.exec(f"rest({p.button.gpio}, {inputs}, {stim}, {act})")


def dropped_pins(profile: BenchProfile, pins: list[int], before: list[Sample],
                 during: list[Sample]) -> tuple[str, ...]:
    """Labels of the pins that held 1 and fell to 0 while row A was grounded: W1 landed there."""
    return tuple(profile.label(g) for g, b, d in zip(pins, before, during)
                 if b.stable == 1 and d.stable == 0)


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


def collect_readings(repl: Repl, profile: BenchProfile, *, window: int = WINDOW,
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
    # The free pins stay unpulled here (bench_io.py, "Pull-ups"): a pulled-up
    # pin on D5's net would hide a D5 pull-up that does not work (no-pullup).
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
        dropped = dropped_pins(profile, free, free_idle, low[1:])
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


def run_unattended(repl: Repl, profile: BenchProfile, *, window: int = WINDOW,
                   period_ms: int = PERIOD_MS) -> UnattendedRun:
    """Stop the app, take the readings, decide, and start the app again if it ran."""
    was_running = stop_app(repl)
    try:
        readings = collect_readings(repl, profile, window=window, period_ms=period_ms)
    finally:
        restore_app(repl, was_running)
    return UnattendedRun(decide(readings, profile), readings, was_running)


def diagnose_unattended(repl: Repl, profile: BenchProfile) -> Verdict:
    """The unattended verdict; the board is left as found (app running again if it ran)."""
    return run_unattended(repl, profile).verdict
