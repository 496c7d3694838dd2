"""The reference bench's breadboard: nets, pulls, drivers, the button, jumpers, probes, LEDs.

Implements the PinBus of docs/architecture.md: the interpreter configures, writes
and reads pads; every read is computed from the wiring of
docs/bench.md ("The wiring, named", "Probes") as modified by the
faults (hil/sim/faults.py) and the operator's jumper wires.

Known behaviours modelled:

- A net's level: a ground or a pad driving low wins over pulls; a push-pull
  high on a net that is also grounded / driven low is a *short*: it is
  recorded (time, pins) and the net reads 0 (the low side sinks far more
  current than an ESP8266 output sources). A net with only pulls follows them;
  a net with nothing reads random (a floating CMOS input).
- Internal pull-ups on every pad except GPIO16, which has none
  (ports/esp8266/machine_pin.c: "Pin(16) doesn't support pull").
- Board resistors of a NodeMCU/ESP-12: pull-up on GPIO0 (FLASH button strap),
  pull-up on GPIO2 (strap: must be high at boot), pull-down on GPIO15 (strap:
  must be low at boot). Source: docs/bench.md "The board", Espressif ESP8266
  hardware design guidelines (strapping pins).
- OPEN_DRAIN with latch 0 sinks, latch 1 is high-impedance (machine_pin.c).
- The press solenoid on D8 presses the button while D8 is driven high.
- LED levels (GPIO2, GPIO16; active-low) are recorded with host monotonic
  timestamps on every change. A pad that nobody drives low leaves its LED
  off, so the LED level is 0 only while the pad is low.
- The GPIO output latch after reset is 0 (not documented by Espressif:
  docs/protocols.md §7 item 4; chosen so `Pin(2, Pin.OUT)` lights the LED, as
  users report on real boards).
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from hil.chip import esp8266
from hil.chip.esp8266 import GPIO_OF_LABEL, LABELS
from hil.sim.errors import SimUsageError
from hil.sim.faults import FAULTS, Wiring, check_names, wiring_for

# The chip's and the NodeMCU's facts (labels, valid pins, LEDs, straps, pulls)
# are constants shared with the harness: hil/chip/esp8266.py.
VALID_GPIOS = tuple(sorted(esp8266.VALID_PINS))  # machine_pin.c: 0-5, 9, 10, 12-16
LED_GPIOS = tuple(sorted(esp8266.LEDS))  # ESP-12 module LED, NodeMCU board LED (active-low)

# Bench roles (docs/bench.md "Probes for unattended runs").
P1_STIMULUS = 12  # D6, open-drain into row A
P2_GROUND_SENSE = 13  # D7, pull-up into row B
P3_RAIL_SENSE = 5  # D1, pull-up into the rail's far half
PRESS_SOLENOID = 15  # D8, high = pressed

LED_HISTORY_MAX = 100_000  # about 7 h of the blink app (4 changes/s)
NO_INTERNAL_PULL = esp8266.NO_INTERNAL_PULL
BOARD_PULL_UP = esp8266.BOARD_PULL_UP
BOARD_PULL_DOWN = esp8266.BOARD_PULL_DOWN

# Nets an operator can join with a jumper wire (besides pin labels D0-D8).
PLACES = ("GND", "RAIL_NEAR", "RAIL_FAR", "ROW_A", "ROW_B")
JUMPER_PINS = tuple(f"D{i}" for i in range(9))
NET_NAMES = JUMPER_PINS + PLACES
# The bench's own wires an operator can pull out and put back (docs/bench.md "The wiring,
# named"): W1 D5 -> row A, W2 row B -> rail far half, W3 rail near half -> GND, and
# the bridge between the rail's halves. Pulling one is what the guided diagnosis asks
# for ("pull W1 out of the board"); putting it back restores the wiring the faults
# leave (a broken wire put back is still broken).
BENCH_WIRES = ("W1", "W2", "W3", "BRIDGE")
# The nets each fixed bench wire joins (W1 runs from the button's pad, which a fault may move).
BENCH_WIRE_ENDS = {"W2": ("ROW_B", "RAIL_FAR"), "W3": ("RAIL_NEAR", "GND"), "BRIDGE": ("RAIL_NEAR", "RAIL_FAR")}


class PinBus(Protocol):
    def configure(self, gpio: int, mode: str, pull: bool, value: int | None) -> None: ...
    def write(self, gpio: int, value: int) -> None: ...
    def read(self, gpio: int) -> int: ...
    def chip_reset(self) -> None: ...


@dataclass
class PadConfig:
    mode: str = "in"  # "in" | "out" | "od"
    pull: bool = False
    latch: int = 0


def _pad(g: int) -> str:
    return f"GPIO{g}"


def _node_of_net(name: str) -> str:
    """`D5` -> `GPIO14`; places unchanged. Raises SimUsageError for an unknown name."""
    n = name.strip().upper()
    if n in JUMPER_PINS:
        return _pad(GPIO_OF_LABEL[n])
    if n in PLACES:
        return n
    raise SimUsageError(f"unknown net {name!r}; valid nets: {', '.join(NET_NAMES)}")


class _Nets:
    """Union-find over the nodes, built fresh for one evaluation (the graph is tiny)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, a: str) -> str:
        p = self.parent.setdefault(a, a)
        if p != a:
            p = self.parent[a] = self.find(p)
        return p

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb

    def members(self, a: str) -> list[str]:
        r = self.find(a)
        return [n for n in list(self.parent) if self.find(n) == r]


class Breadboard:
    """The bench around the chip. Thread-safe: the pin bus and the control endpoint share it."""

    def __init__(self, faults: tuple[str, ...] | list[str] = (), *, seed: int | None = None) -> None:
        check_names(list(faults))
        self._lock = threading.RLock()
        # Watchers (the bench page's event stream) wait here for the next change.
        self._changed = threading.Condition(self._lock)
        self._version = 0
        self._rng = random.Random(seed)
        self._faults: set[str] = set(faults)
        self._wiring: Wiring = wiring_for(self._faults)
        self._pads: dict[int, PadConfig] = {g: PadConfig() for g in VALID_GPIOS}
        self._pressed = False
        self._jumpers: set[frozenset[str]] = set()
        self._jumper_names: dict[frozenset[str], tuple[str, str]] = {}
        self._pulled: set[str] = set()  # bench wires out of the breadboard
        self._active_shorts: set[tuple[str, ...]] = set()
        self.shorts: list[dict[str, object]] = []
        self._led_level: dict[int, int] = {}
        self._led_history: deque[dict[str, object]] = deque(maxlen=LED_HISTORY_MAX)
        self._update()

    # -- PinBus -------------------------------------------------------------------------

    def configure(self, gpio: int, mode: str, pull: bool, value: int | None) -> None:
        if mode not in ("in", "out", "od"):
            raise SimUsageError(f"pin mode {mode!r}: expected 'in', 'out' or 'od'")
        with self._lock:
            pad = self._pad_config(gpio)
            pad.mode = mode
            pad.pull = bool(pull)
            if value is not None:
                pad.latch = 1 if value else 0
            self._update()

    def write(self, gpio: int, value: int) -> None:
        with self._lock:
            self._pad_config(gpio).latch = 1 if value else 0
            self._update()

    def read(self, gpio: int) -> int:
        with self._lock:
            self._pad_config(gpio)
            level = self._level(gpio, self._build_nets())
            if level is None:
                return self._rng.getrandbits(1)  # a floating CMOS input reads noise
            return level

    def chip_reset(self) -> None:
        """All pads back to inputs without pulls (the chip's reset state)."""
        with self._lock:
            for g in self._pads:
                self._pads[g] = PadConfig()
            self._update()

    # -- the operator's hands and the fault switch ---------------------------------------

    def press(self, pressed: bool) -> None:
        with self._lock:
            self._pressed = bool(pressed)
            self._update()

    @property
    def pressed(self) -> bool:
        return self._pressed

    def wire(self, a: str, b: str | None = None, connect: bool = True) -> None:
        """Connect (or remove) an operator's jumper wire between two nets, e.g. D5 and GND;
        with `b` None, `a` names one of the bench's own wires (see `bench_wire`)."""
        if b is None:
            self.bench_wire(a, connect)
            return
        na, nb = _node_of_net(a), _node_of_net(b)
        if na == nb:
            raise SimUsageError(f"a jumper from {a} to {b} joins a net to itself")
        key = frozenset((na, nb))
        with self._lock:
            if connect:
                self._jumpers.add(key)
                self._jumper_names[key] = (a.strip().upper(), b.strip().upper())
            else:
                self._jumpers.discard(key)
                self._jumper_names.pop(key, None)
            self._update()

    def bench_wire(self, name: str, connect: bool = True) -> None:
        """Put back (`connect`) or pull out one of the bench's wires: W1, W2, W3, BRIDGE."""
        n = name.strip().upper()
        if n not in BENCH_WIRES:
            raise SimUsageError(f"unknown bench wire {name!r}; bench wires: {', '.join(BENCH_WIRES)}")
        with self._lock:
            if connect:
                self._pulled.discard(n)
            else:
                self._pulled.add(n)
            self._update()

    @property
    def bench_wires(self) -> dict[str, bool]:
        """Which bench wires are in the breadboard (True) or pulled out (False)."""
        with self._lock:
            return {n: n not in self._pulled for n in BENCH_WIRES}

    def set_faults(self, set_: list[str] | tuple[str, ...] = (), clear: list[str] | tuple[str, ...] = ()) -> list[str]:
        """Add and remove faults (all names checked first); returns the active faults.

        A fault is one of the catalogue's names, or NAME:VALUE for a rated one
        (`intermittent:0.02`); setting it again replaces its value, and clearing
        it by its plain name clears it whatever its value.
        """
        check_names(list(set_) + list(clear))
        with self._lock:
            drop = {c.partition(":")[0] for c in list(clear) + list(set_)}
            self._faults = {f for f in self._faults if f.partition(":")[0] not in drop}
            self._faults |= set(set_)
            self._wiring = wiring_for(self._faults)
            self._update()
            return self.faults

    @property
    def faults(self) -> list[str]:
        by_name = {f.partition(":")[0]: f for f in self._faults}
        return [by_name[n] for n in FAULTS if n in by_name]

    def strap_level(self, gpio: int) -> int:
        """A strap pin's level as the ROM samples it at reset (pads are inputs then)."""
        return self.read(gpio)

    def led_history(self, since: float | None = None) -> list[dict[str, object]]:
        """The LED level changes, oldest first; with `since`, only those after that time."""
        with self._lock:
            if since is None:
                return [dict(e) for e in self._led_history]
            newer: list[dict[str, object]] = []
            for e in reversed(self._led_history):  # newest first: stop at the first old one
                if e["t"] <= since:  # type: ignore[operator]
                    break
                newer.append(dict(e))
            return newer[::-1]

    def wait_change(self, version: int, timeout: float) -> int:
        """Block until the bench changed since `version` (or `timeout` s passed); returns
        the current version, to pass to the next call. Any other version returns at once."""
        with self._changed:
            self._changed.wait_for(lambda: self._version != version, timeout)
            return self._version

    def state(self, history: bool = True) -> dict[str, object]:
        with self._lock:
            nets = self._build_nets()
            pins = {}
            for g in VALID_GPIOS:
                c = self._pads[g]
                pins[LABELS[g]] = {
                    "gpio": g,
                    "mode": c.mode,
                    "pull": c.pull,
                    "latch": c.latch,
                    "level": self._level(g, nets),
                }
            return {
                "pins": pins,
                "leds": {LABELS[g]: self._led_level[g] for g in LED_GPIOS},
                "led_history": self.led_history() if history else [],
                "faults": self.faults,
                "wires": [
                    {"a": self._jumper_names[k][0], "b": self._jumper_names[k][1]}
                    for k in sorted(self._jumpers, key=lambda k: self._jumper_names[k])
                ],
                "bench_wires": self.bench_wires,
                "button": {"pressed": self._pressed, "solenoid": self._solenoid_on()},
                "shorts": [dict(s) for s in self.shorts],
            }

    # -- the electrical model -------------------------------------------------------------

    def _pad_config(self, gpio: int) -> PadConfig:
        try:
            return self._pads[gpio]
        except KeyError:
            raise SimUsageError(
                f"GPIO{gpio} is not a pad of the ESP8266; valid: {', '.join(map(str, VALID_GPIOS))}"
            ) from None

    def _solenoid_on(self) -> bool:
        c = self._pads[PRESS_SOLENOID]
        return c.mode == "out" and c.latch == 1 and PRESS_SOLENOID not in self._wiring.dead_output

    def _build_nets(self) -> _Nets:
        w = self._wiring
        nets = _Nets()
        for g in VALID_GPIOS:
            nets.find(_pad(g))
        for place in PLACES:
            nets.find(place)
        out = self._pulled
        if w.w1_pad is not None and "W1" not in out:
            nets.join(_pad(w.w1_pad), "ROW_A")
        if w.w2 and "W2" not in out:
            nets.join(*BENCH_WIRE_ENDS["W2"])
        if w.w3 and "W3" not in out:
            nets.join(*BENCH_WIRE_ENDS["W3"])
        if w.bridge and "BRIDGE" not in out:
            nets.join(*BENCH_WIRE_ENDS["BRIDGE"])
        nets.join(_pad(P1_STIMULUS), "ROW_A")
        nets.join(_pad(P2_GROUND_SENSE), "ROW_B")
        nets.join(_pad(P3_RAIL_SENSE), "RAIL_FAR")
        if w.rotated:
            # Both wires on one terminal: the rows are one conductor, pressed or not
            # (docs/bench.md "The push button (4 pins)").
            nets.join("ROW_A", "ROW_B")
        elif self._pressed or self._solenoid_on():
            if w.contacts in ("ok", "worn") or (
                    w.contacts == "intermittent" and self._rng.getrandbits(1)):
                nets.join("ROW_A", "ROW_B")
        elif w.contacts == "worn" and self._rng.random() < (w.bounce_rate or 0.0):
            # a worn contact bounces closed now and then while released: one read
            # in about 1/rate sees the button pressed (nets are rebuilt per read)
            nets.join("ROW_A", "ROW_B")
        for g in w.short_to_gnd:
            nets.join(_pad(g), "GND")
        for key in self._jumpers:
            a, b = tuple(key)
            nets.join(a, b)
        return nets

    def _drives(self, g: int) -> int | None:
        """What pad g drives onto its net: 1, 0, or None (high-impedance)."""
        c = self._pads[g]
        if g in self._wiring.dead_output:
            return None
        if c.mode == "out":
            return c.latch
        if c.mode == "od" and c.latch == 0:
            return 0
        return None

    def _net_drivers(self, g: int, nets: _Nets) -> tuple[list[int], list[int], list[int], bool]:
        """(pads on g's net, pads driving high, pads driving low, net grounded?)."""
        members = nets.members(_pad(g))
        pads = [int(m[4:]) for m in members if m.startswith("GPIO")]
        highs = [p for p in pads if self._drives(p) == 1]
        lows = [p for p in pads if self._drives(p) == 0]
        return pads, highs, lows, "GND" in members

    def _level(self, g: int, nets: _Nets) -> int | None:
        pads, highs, lows, grounded = self._net_drivers(g, nets)
        if grounded or lows:
            return 0  # also when shorted against a high: the low side wins
        if highs:
            return 1
        ups = [
            p
            for p in pads
            if p in BOARD_PULL_UP
            or (self._pads[p].pull and p not in NO_INTERNAL_PULL and p not in self._wiring.no_pullup)
        ]
        downs = [p for p in pads if p in BOARD_PULL_DOWN]
        if downs and not any(p in BOARD_PULL_UP for p in ups):
            return 0  # a 10 kOhm board pull-down beats a ~50 kOhm internal pull-up
        if ups and not downs:
            return 1
        return None  # floating (or board pull-up against board pull-down: undefined)

    def _update(self) -> None:
        """After every change: record new shorts and LED level changes."""
        nets = self._build_nets()
        now = time.monotonic()
        roots: set[str] = set()
        active: set[tuple[str, ...]] = set()
        for g in VALID_GPIOS:
            root = nets.find(_pad(g))
            if root in roots:
                continue
            roots.add(root)
            _, highs, lows, grounded = self._net_drivers(g, nets)
            if highs and (lows or grounded):
                pins = sorted(LABELS[p] for p in highs + lows) + (["GND"] if grounded else [])
                key = tuple(pins)
                active.add(key)
                if key not in self._active_shorts:
                    self.shorts.append(
                        {
                            "t": now,
                            "pins": pins,
                            "high": sorted(LABELS[p] for p in highs),
                            "message": f"short circuit: {', '.join(sorted(LABELS[p] for p in highs))} "
                            f"driven high on a net that {', '.join(pins)} pull low",
                        }
                    )
        self._active_shorts = active
        for g in LED_GPIOS:
            level = 0 if self._level(g, nets) == 0 else 1
            if self._led_level.get(g) != level:
                self._led_level[g] = level
                self._led_history.append({"t": now, "gpio": g, "label": LABELS[g], "level": level})
        with self._changed:  # an RLock: also fine from __init__, where nobody holds it
            self._version += 1
            self._changed.notify_all()
