"""Guided diagnosis: a person does the steps the probes cannot, the pins confirm each one.

The probes the bench has are read first (as unattended); then, while more
than one fault fits, the next step that tells the remaining faults apart
(`logic.telling_step`) is asked of the operator, in the chapter's order:
press the button; a jumper from D5 to a GND pin of the board, its ground end
moved to the rail next to the button, then to the button's row B; row A
grounded; W1 pulled out; the rail halves bridged. Steps the readings already
answer are skipped.

A wrong or skipped operator action must never become a wrong verdict:
- a step with a known outcome is checked (the jumper on board GND must pull
  D5 to 0; unplugging its end must let D5 go back to 1; a released button
  must read as idle again) and asked again until the pins agree;
- a reading that shows no change from before the action (the thing a skipped
  action looks like) is asked once more before it counts;
- readings that no single fault explains drop the last operator answer and
  ask for it again.
The operator's I/O is an `Operator` (say, confirm), so tests script it.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TextIO

from hil.bench import BenchProfile
from hil.diagnose.logic import Readings, Sample, Verdict, candidates, decide, telling_step
from hil.diagnose.probe import (
    PERIOD_MS,
    WINDOW,
    BoardPins,
    dropped_pins,
    probe_readings,
    restore_app,
    stop_app,
)
from hil.errors import HilError
from hil.repl import Repl

MAX_ASKS = 3  # times one step is asked before the diagnosis gives up on it
OPERATOR_STEPS = ("pressed", "rail", "ground", "stimulus", "w1_pulled", "bridged")
LiveView = Callable[[], dict[str, int]]


class Operator(Protocol):
    """The person at the bench (or a script standing in for one)."""

    def say(self, text: str) -> None:
        """Tell the operator something: an instruction, or why a step is asked again."""

    def confirm(self, live: LiveView | None = None) -> bool:
        """Wait until the operator says the step is done (True) or gives up (False).

        ``live`` reads the pins now; an operator with a screen shows it while waiting.
        """


class OperatorGaveUp(HilError):
    """The operator ended the guided diagnosis (EOF, 'q', or no answer in time)."""


@dataclass
class GuidedRun:
    verdict: Verdict
    readings: Readings
    app_was_running: bool
    prompts: list[str]


class _Session:
    def __init__(self, pins: BoardPins, profile: BenchProfile, operator: Operator,
                 readings: Readings) -> None:
        self.pins = pins
        self.profile = profile
        self.op = operator
        self.r = readings
        self.jumper: tuple[str, str] | None = None  # where the operator's jumper is
        self.bridged = False
        self.prompts: list[str] = []
        self.d5 = profile.button.gpio
        self.free = profile.free_gpios()
        self.asked: dict[str, int] = {}

    # -- operator I/O ---------------------------------------------------------------
    def say(self, text: str) -> None:
        self.prompts.append(text)
        self.op.say(text)

    def live(self) -> dict[str, int]:
        p = self.profile
        pins = [(self.d5, p.button.label)]
        pins += [(r.gpio, f"{r.label} ({role})") for r, role in
                 ((p.ground_sense, "P2"), (p.rail_sense, "P3")) if r is not None]
        values = self.pins.pulled_levels([g for g, _ in pins])
        return {name: v for (_, name), v in zip(pins, values)}

    def ask(self, text: str) -> None:
        self.say(text)
        if not self.op.confirm(self.live):
            raise OperatorGaveUp(f"guided diagnosis ended by the operator at: {text}")

    def d5_window(self) -> Sample:
        return self.pins.windows([self.d5])[0]

    def ask_until(self, text: str, check: Callable[[Sample], bool], why: str) -> Sample:
        """Ask, read D5, and ask again (saying why) until ``check`` holds."""
        for attempt in range(MAX_ASKS):
            self.ask(text if attempt == 0 else f"{why} {text}")
            s = self.d5_window()
            if check(s):
                return s
        raise OperatorGaveUp(f"guided diagnosis: '{text}' was asked {MAX_ASKS} times and "
                             f"{self.profile.button.label} never confirmed it ({why})")

    def ask_observation(self, text: str, unchanged: int | None, read: Callable[[], Sample],
                        again: str) -> Sample:
        """Ask and read; a reading equal to ``unchanged`` (a skipped step looks so) is asked twice."""
        self.ask(text)
        s = read()
        if unchanged is not None and s.stable == unchanged:
            self.ask(f"{again} {text}")
            s = read()
        return s

    # -- the idle level D5 goes back to when nothing grounds it ---------------------------
    @property
    def d5_free_level(self) -> int | None:
        return self.r.d5_idle.stable if self.r.d5_idle is not None else None

    def _back_to_idle(self, s: Sample) -> bool:
        return s.stable == self.d5_free_level

    # -- jumper logistics ---------------------------------------------------------------
    def _place(self, net: str) -> str:
        """Where a jumper end is, in words (BUTTON: the bench's button pin)."""
        return {"GND": "the board's GND pin", "RAIL_FAR": "the GND rail next to the button",
                "ROW_B": "the button's row B", "ROW_A": "the button's row A",
                "BUTTON": self.profile.button.label, "": "nowhere"}.get(net, net)

    def remove_jumper(self) -> None:
        if self.jumper is None:
            return
        a, b = self.jumper
        where = f"from {self._place(a)} to {self._place(b)}"
        if self.d5_free_level == 1:
            self.ask_until(f"take the jumper ({where}) out of the breadboard and the board.",
                           self._back_to_idle, f"{self.profile.button.label} does not read "
                           f"{self.d5_free_level} yet: is the jumper still in?")
        else:
            self.ask(f"take the jumper ({where}) out of the breadboard and the board.")
        self.jumper = None

    def d5_jumper_to(self, place: str, text: str) -> Sample:
        """The jumper's one end on D5, the other on ``place``; D5's window there."""
        btn = self.profile.button.label
        if self.jumper is not None and self.jumper[0] != "BUTTON":
            self.remove_jumper()
        if self.jumper is None:
            s = self.ask_until(
                f"connect a jumper from {btn} straight to a GND pin of the board.",
                lambda s: s.stable == 0,
                f"{btn} does not read 0, so the jumper does not connect {btn} to GND: "
                f"check both ends.")
            self.r = dataclasses.replace(self.r, d5_jumper_board_gnd=s)
            self.jumper = ("BUTTON", "GND")
        if self.jumper[1] != place:
            self.ask_until(
                f"unplug the jumper's end from {self._place(self.jumper[1])} (keep its other end "
                f"on {btn}).", self._back_to_idle,
                f"{btn} still reads 0, so the jumper still touches GND:")
            self.jumper = ("BUTTON", "")
            s = self.ask_observation(
                text, 1, self.d5_window,
                f"{btn} still reads 1: make sure the jumper's end sits firmly in the hole.")
            self.jumper = ("BUTTON", place)
            return s
        return self.d5_window()

    # -- the steps ---------------------------------------------------------------------
    def take(self, key: str) -> None:
        btn = self.profile.button.label
        if key == "pressed":
            self.remove_jumper()
            s = self.ask_observation(
                "press and hold the button (keep holding until I say release).", 1,
                self.d5_window,
                f"{btn} still reads 1 while the button should be held: press it all the way "
                f"down and hold it.")
            self.r = dataclasses.replace(self.r, d5_pressed=s)
            if self.d5_free_level == 1 and s.stable != 1:
                self.ask_until("release the button.", self._back_to_idle,
                               f"{btn} does not read 1 yet:")
            else:
                self.ask("release the button.")
        elif key == "rail":
            s = self.d5_jumper_to("RAIL_FAR", "plug that end into the breadboard's GND rail "
                                              "next to the button (where W2 ends).")
            self.r = dataclasses.replace(self.r, d5_jumper_rail_far=s)
        elif key == "ground":
            s = self.d5_jumper_to("ROW_B", "plug that end into the button's row B (the row "
                                           "W2 starts from).")
            self.r = dataclasses.replace(self.r, d5_jumper_row_b=s)
        elif key == "stimulus":
            self.remove_jumper()

            def read() -> Sample:
                got = self.pins.windows([self.d5, *self.free])
                idle_free = self._free_idle
                self._dropped = dropped_pins(self.profile, self.free, idle_free, got[1:])
                return got[0]

            self._free_idle = self.pins.windows(self.free) if self.free else []
            self._dropped: tuple[str, ...] = ()
            s = self.ask_observation(
                "connect a jumper from the button's row A (where W1 ends) to a GND pin of "
                "the board.", None, read, "")
            if s.stable == 1 and not self._dropped:
                self.ask(f"{btn} still reads 1 and no other pin dropped: check that the jumper "
                         f"sits in row A and on a GND pin. connect a jumper from the button's "
                         f"row A (where W1 ends) to a GND pin of the board.")
                s = read()
            self.r = dataclasses.replace(self.r, d5_row_a_grounded=s, row_a_dropped=self._dropped)
            self.jumper = ("ROW_A", "GND")
            self.remove_jumper_after_row_a(s)
            self.pins.rest()  # free pins unpulled again (see probe.probe_readings)
        elif key == "w1_pulled":
            self.remove_jumper()
            s = self.ask_observation(
                f"pull W1 out of the board (its end in {btn}); leave the rest as it is.",
                self.d5_free_level, self.d5_window,
                f"{btn} still reads {self.d5_free_level}: is W1's end out of the board's "
                f"header?")
            self.r = dataclasses.replace(self.r, d5_w1_pulled=s)
            if s.stable != self.d5_free_level:
                self.ask_until(f"put W1 back into {btn}.", self._back_to_idle,
                               f"{btn} does not read {self.d5_free_level} yet:")
            else:
                self.ask(f"put W1 back into {btn}.")
        elif key == "bridged":
            if self.profile.rail_sense is not None:
                rail_gpio = self.profile.rail_sense.gpio

                def read() -> Sample:
                    return self.pins.windows([rail_gpio])[0]
            else:
                self.d5_jumper_to("RAIL_FAR", "plug that end into the breadboard's GND rail "
                                              "next to the button (where W2 ends).")
                read = self.d5_window
            s = self.ask_observation(
                "bridge the rail halves: a jumper from the GND rail's near half (next to the "
                "board) to its far half (next to the button).", 1, read,
                "the far half still does not reach GND: check that the bridge sits in both "
                "halves of the same rail.")
            self.r = dataclasses.replace(self.r, rail_bridged=s)
            self.bridged = True

    def remove_jumper_after_row_a(self, s: Sample) -> None:
        if s.stable == 0 and self.d5_free_level == 1:
            self.ask_until("take the jumper out of row A.", self._back_to_idle,
                           f"{self.profile.button.label} still reads 0:")
        else:
            self.ask("take the jumper out of row A.")
        self.jumper = None

    def forget(self, key: str) -> None:
        field = {"pressed": "d5_pressed", "rail": "d5_jumper_rail_far",
                 "ground": "d5_jumper_row_b", "stimulus": "d5_row_a_grounded",
                 "w1_pulled": "d5_w1_pulled", "bridged": "rail_bridged"}[key]
        self.r = dataclasses.replace(self.r, **{field: None})

    # -- the loop ----------------------------------------------------------------------
    def resolve(self) -> None:
        last: str | None = None
        while True:
            obs = self.r.observations(self.profile)
            fits = candidates(obs, self.profile)
            if not fits and last is not None and self.asked.get(last, 0) < MAX_ASKS:
                self.say("these readings fit no single fault: that step again, please.")
                self.forget(last)
                key = last
            else:
                if len(fits) <= 1:
                    return
                key = _operator_step(fits, obs, self)
                if key is None or self.asked.get(key, 0) >= MAX_ASKS:
                    return
            self.asked[key] = self.asked.get(key, 0) + 1
            self.take(key)
            last = key


def _operator_step(fits: tuple[str, ...], obs: dict[str, object], s: _Session) -> str | None:
    """The next step a person can do that tells ``fits`` apart (None: none left)."""
    taken = dict(obs)
    while True:
        key = telling_step(fits, taken)
        if key is None:
            return None
        if key in OPERATOR_STEPS and _possible(key, s):
            return key
        taken[key] = None  # not something a person can do here: look further


def _possible(key: str, s: _Session) -> bool:
    # D5 jumper readings only mean something while D5 idles at 1 (pulled up, free).
    if key in ("rail", "ground", "stimulus"):
        return s.d5_free_level == 1
    if key == "bridged":
        return s.profile.rail_sense is not None or s.d5_free_level == 1
    return True


def run_guided(repl: Repl, profile: BenchProfile, operator: Operator, *,
               window: int = WINDOW, period_ms: int = PERIOD_MS) -> GuidedRun:
    """Probes first, then the operator's steps until one fault is left (or none can tell)."""
    was_running = stop_app(repl)
    try:
        pins = BoardPins(repl, profile, window, period_ms)
        pins.load()
        session: _Session | None = None
        try:
            readings = probe_readings(pins, profile, None)
            session = _Session(pins, profile, operator, readings)
            try:
                session.resolve()
            except OperatorGaveUp as e:
                operator.say(f"{e}; the verdict below uses the readings so far.")
        finally:
            pins.rest()
    finally:
        restore_app(repl, was_running)
    assert session is not None
    verdict = decide(session.r, profile)
    return GuidedRun(verdict, session.r, was_running, session.prompts)


# -- the terminal operator ------------------------------------------------------------------

class TerminalOperator:
    """A person at a terminal: prompts on stderr, Enter confirms, 'q' or EOF gives up.

    With ``live`` (a TTY), a rich live view of the pins refreshes while the
    person works, so they see D5 change as the jumper goes in.
    """

    WAIT = 600.0  # s a person may take for one step before the diagnosis ends

    def __init__(self, live: bool = True, stdin: TextIO | None = None,
                 stderr: TextIO | None = None) -> None:
        self.use_live = live
        self.stdin = stdin or sys.stdin
        self.out = stderr or sys.stderr
        self.step = 0

    def say(self, text: str) -> None:
        self.step += 1
        print(f"[{self.step}] {text}", file=self.out, flush=True)

    def confirm(self, live: LiveView | None = None) -> bool:
        answer: list[str] = []
        done = threading.Event()

        def read() -> None:
            answer.append(self.stdin.readline())
            done.set()

        print("    press Enter when done (q to stop)", file=self.out, flush=True)
        threading.Thread(target=read, daemon=True, name="operator-input").start()
        if self.use_live and live is not None:
            self._show_live(live, done)
        if not done.wait(self.WAIT):
            return False
        line = answer[0] if answer else ""
        return bool(line) and line.strip().lower() not in ("q", "quit")

    def _show_live(self, live: LiveView, done: threading.Event) -> None:
        from rich.console import Console
        from rich.live import Live
        from rich.table import Table

        def table() -> Table:
            t = Table(title="pins now", show_header=True)
            t.add_column("pin")
            t.add_column("level")
            try:
                for name, v in live().items():
                    t.add_row(name, "[green]1[/green]" if v else "[red]0[/red]")
            except HilError as e:
                t.add_row("(read failed)", str(e)[:60])
            return t

        end = time.monotonic() + self.WAIT
        with Live(table(), console=Console(file=self.out), refresh_per_second=4,
                  transient=True) as view:
            while not done.wait(0.3) and time.monotonic() < end:
                view.update(table())


__all__ = [
    "GuidedRun",
    "Operator",
    "OperatorGaveUp",
    "TerminalOperator",
    "run_guided",
]
