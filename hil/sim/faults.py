"""The fault catalogue of the reference bench (docs/bench.md), as wiring changes.

A fault never fakes a reading: it changes the breadboard's wiring (a wire that
does not conduct, a wire in the wrong hole, a rail that is not bridged, a
button turned 90 degrees, ...) and the pin levels follow from the nets, so
combinations of faults and operator jumpers behave as they would on a bench.

The catalogue table (columns: D5 idle, D5 while P1 pulls row A low, P2, P3,
D5 pressed) is what `tests/sim/test_faults.py` checks, over a real connection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hil.chip.esp8266 import FLASH_STRAP, GPIO_OF_LABEL
from hil.sim.errors import SimUsageError

# GPIO numbers of the reference bench (docs/bench.md "The board"; labels and
# straps from hil/chip/esp8266.py).
GPIO_D5_BUTTON = GPIO_OF_LABEL["D5"]
GPIO_D2 = GPIO_OF_LABEL["D2"]
GPIO_D3_STRAP = FLASH_STRAP
GPIO_LED = GPIO_OF_LABEL["D4"]


@dataclass
class Wiring:
    """The breadboard's wiring as the faults leave it; the Breadboard derives nets from it."""

    # W1: which pad the wire from row A lands on (None = the wire does not conduct).
    w1_pad: int | None = GPIO_D5_BUTTON
    w2: bool = True  # row B -> rail, far half
    w3: bool = True  # rail, near half -> board GND
    bridge: bool = True  # the rail's two halves are bridged (a short breadboard)
    # The button: "ok", "dead" (contacts never close), "intermittent" (flickers per read).
    contacts: str = "ok"
    # `intermittent:RATE`: a worn contact that closes by itself in RATE of the reads
    # while the button is released (a bounce to 0); pressed, it conducts. None: the
    # plain fault (pressed reads random, released reads clean).
    bounce_rate: float | None = None
    rotated: bool = False  # wired across one terminal: rows A and B always joined
    short_to_gnd: set[int] = field(default_factory=set)  # pads shorted to GND at the board
    no_pullup: set[int] = field(default_factory=set)  # pads whose internal pull-up is dead
    dead_output: set[int] = field(default_factory=set)  # pads whose output driver is dead


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    apply: Callable[[Wiring], None]


def _set(attr: str, value: object) -> Callable[[Wiring], None]:
    def apply(w: Wiring) -> None:
        setattr(w, attr, value)

    return apply


def _add(attr: str, pad: int) -> Callable[[Wiring], None]:
    def apply(w: Wiring) -> None:
        getattr(w, attr).add(pad)

    return apply


FAULTS: dict[str, Fault] = {
    f.name: f
    for f in (
        Fault("dead-button", "the button's contacts never close", _set("contacts", "dead")),
        Fault(
            "button-rotated",
            "button turned 90 degrees: both wires on one terminal, reads pressed all the time",
            _set("rotated", True),
        ),
        Fault(
            "split-rail",
            "the GND rail's two halves are not bridged (long breadboard): the far half floats",
            _set("bridge", False),
        ),
        Fault("broken-wire-d5", "W1 (D5 -> button row A) does not conduct", _set("w1_pad", None)),
        Fault(
            "broken-wire-button-rail",
            "W2 (button row B -> GND rail far half) does not conduct",
            _set("w2", False),
        ),
        Fault(
            "broken-wire-rail-gnd",
            "W3 (GND rail near half -> board GND) does not conduct",
            _set("w3", False),
        ),
        Fault(
            "intermittent",
            "worn button contact: while pressed it conducts only sometimes (random per read)",
            _set("contacts", "intermittent"),
        ),
        Fault("wrong-pin", "W1 lands on D2 (GPIO4) instead of D5", _set("w1_pad", GPIO_D2)),
        Fault(
            "no-pullup",
            "D5's internal pull-up has no effect: the idle button line floats (reads random)",
            _add("no_pullup", GPIO_D5_BUTTON),
        ),
        Fault(
            "short-to-gnd",
            "D5 is shorted to GND at the board (solder bridge)",
            _add("short_to_gnd", GPIO_D5_BUTTON),
        ),
        Fault(
            "strap-pin",
            "W1 lands on D3 (GPIO0, boot strap): holding the button at reset enters the bootloader",
            _set("w1_pad", GPIO_D3_STRAP),
        ),
        Fault(
            "stuck-led",
            "the GPIO2 LED output is damaged: the pin reads back 1 whatever is written",
            _add("dead_output", GPIO_LED),
        ),
    )
}


class UnknownFaultError(SimUsageError):
    """A fault name that is not in the catalogue; the message lists the valid names."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        super().__init__(
            f"unknown fault {', '.join(names)}; valid faults: {', '.join(FAULTS)}"
        )


# Faults that take a parameter, written NAME:VALUE (`intermittent:0.02`).
RATED = ("intermittent",)


class FaultParameterError(SimUsageError):
    """A fault written NAME:VALUE with a value the fault does not take."""


def split_spec(spec: str) -> tuple[str, float | None]:
    """`intermittent:0.02` -> ("intermittent", 0.02); a plain name -> (name, None).

    Raises FaultParameterError for a value on a fault that takes none, or a
    rate outside 0..1.
    """
    name, sep, raw = spec.partition(":")
    if not sep:
        return name, None
    if name not in RATED:
        raise FaultParameterError(
            f"fault {spec!r}: {name} takes no value; only {', '.join(RATED)} takes a rate "
            f"(e.g. intermittent:0.02)")
    try:
        rate = float(raw)
    except ValueError:
        rate = -1.0
    if not 0.0 <= rate <= 1.0:
        raise FaultParameterError(
            f"fault {spec!r}: the rate must be a number from 0 to 1 (0.02 = 2% of the "
            f"released reads bounce to 0)")
    return name, rate


def check_names(names: list[str] | tuple[str, ...] | set[str]) -> None:
    """Raise UnknownFaultError naming every unknown name (and listing the valid ones),
    FaultParameterError for a bad NAME:VALUE."""
    unknown = [n for n in names if n.partition(":")[0] not in FAULTS]
    if unknown:
        raise UnknownFaultError(unknown)
    for n in names:
        split_spec(n)


def wiring_for(names: set[str] | frozenset[str]) -> Wiring:
    """The wiring of the reference bench with the given faults applied (in catalogue order)."""
    check_names(names)
    specs = dict(split_spec(n) for n in names)
    w = Wiring()
    for name, fault in FAULTS.items():
        if name in specs:
            fault.apply(w)
            if name == "intermittent" and specs[name] is not None:
                w.contacts = "worn"
                w.bounce_rate = specs[name]
    return w
