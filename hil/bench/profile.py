"""The bench profile: which pin is what on this bench.

A small TOML file; the reference bench of docs/bench.md is the
default, so a bench wired differently needs a file, not a code change.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib

from hil.errors import BenchProfileError

# NodeMCU silk-screen labels (esp8266/Arduino variants/nodemcu/pins_arduino.h).
GPIO_LABELS = {16: "D0", 5: "D1", 4: "D2", 0: "D3", 2: "D4", 14: "D5", 12: "D6", 13: "D7",
               15: "D8", 3: "RX", 1: "TX"}
# Pins the harness must never drive: boot straps and the UART
# (docs/bench.md "Safety"; GPIO0/2/15 decide the boot mode at reset).
STRAP_PINS = frozenset({0, 2, 15})
UART_PINS = frozenset({1, 3})
VALID_PINS = frozenset({0, 1, 2, 3, 4, 5, 9, 10, 12, 13, 14, 15, 16})


@dataclass(frozen=True)
class PinRef:
    gpio: int
    label: str

    def __str__(self) -> str:
        return f"{self.label}/GPIO{self.gpio}"


@dataclass(frozen=True)
class Led(PinRef):
    active_low: bool = True


@dataclass(frozen=True)
class BenchProfile:
    name: str
    led: Led
    led2: Led
    button: PinRef
    button_pull_up: bool
    stimulus: PinRef | None      # P1, open-drain into row A
    ground_sense: PinRef | None  # P2
    rail_sense: PinRef | None    # P3
    press: PinRef | None         # actuator, driven high to press
    half_cycle_s: float = 0.5
    tolerance_s: float = 0.1
    source: str = "<builtin reference>"

    @property
    def leds(self) -> tuple[Led, Led]:
        return (self.led, self.led2)

    def used_gpios(self) -> set[int]:
        pins = [self.led, self.led2, self.button, self.stimulus, self.ground_sense,
                self.rail_sense, self.press]
        return {p.gpio for p in pins if p is not None}

    def free_gpios(self) -> list[int]:
        """Pins nothing on the bench uses: a misplaced wire may have landed there."""
        return sorted(VALID_PINS - self.used_gpios() - UART_PINS - {9, 10})


def load_profile(path: str | Path | None = None) -> BenchProfile:
    """Load a bench profile; None loads the reference bench."""
    if path is None:
        text = resources.files("hil.bench").joinpath("reference.toml").read_text()
        source = "<builtin reference>"
    else:
        p = Path(path)
        try:
            text = p.read_text()
        except OSError as e:
            raise BenchProfileError(
                f"bench profile {p}: cannot read it ({e.strerror}); pass --bench with an "
                f"existing TOML file, or leave it out for the reference bench") from e
        source = str(p)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise BenchProfileError(f"bench profile {source}: not valid TOML ({e})") from e
    try:
        return _parse(data, source)
    except (KeyError, TypeError, ValueError) as e:
        raise BenchProfileError(
            f"bench profile {source}: {e}; compare with hil/bench/reference.toml") from e


def _pin(entry: dict | None, what: str) -> PinRef | None:
    if entry is None:
        return None
    gpio = int(entry["gpio"])
    if gpio not in VALID_PINS:
        raise ValueError(f"{what}: GPIO{gpio} is not a pin of the ESP8266")
    return PinRef(gpio, str(entry.get("label", GPIO_LABELS.get(gpio, f"GPIO{gpio}"))))


def _parse(d: dict, source: str) -> BenchProfile:
    leds = d["leds"]

    def led(key: str) -> Led:
        ref = _pin(leds[key], f"leds.{key}")
        return Led(ref.gpio, ref.label, bool(leds[key].get("active_low", True)))

    probes = d.get("probes", {})
    actuator = d.get("actuator", {})
    app = d.get("app", {})
    button = _pin(d["button"], "button")
    press = _pin(actuator.get("press"), "actuator.press")
    stimulus = _pin(probes.get("stimulus"), "probes.stimulus")
    for ref, what in ((stimulus, "probes.stimulus"), (press, "actuator.press")):
        if ref is not None and ref.gpio in UART_PINS:
            raise ValueError(f"{what}: GPIO{ref.gpio} carries the REPL")
    return BenchProfile(
        name=str(d.get("name", "custom")),
        led=led("led"),
        led2=led("led2"),
        button=button,
        button_pull_up=bool(d["button"].get("pull_up", True)),
        stimulus=stimulus,
        ground_sense=_pin(probes.get("ground_sense"), "probes.ground_sense"),
        rail_sense=_pin(probes.get("rail_sense"), "probes.rail_sense"),
        press=press,
        half_cycle_s=float(app.get("half_cycle_s", 0.5)),
        tolerance_s=float(app.get("tolerance_s", 0.1)),
        source=source,
    )
