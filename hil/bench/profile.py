"""The bench profile: which pin is what on this bench.

A small TOML file; the reference bench of docs/bench.md is the
default, so a bench wired differently needs a file, not a code change.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import ModuleType

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib

from hil.errors import BenchProfileError

# The chip's facts (labels, valid pins, straps, the UART) are hil/chip/<chip>.py's
# (the profile's `chip`, default esp8266); this module holds only the bench's wiring.
DEFAULT_CHIP = "esp8266"


def chip_module(name: str) -> ModuleType:
    """hil/chip/<name>.py: the board type's facts."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"chip = {name!r}: not a board type of hil/chip/")
    try:
        return importlib.import_module(f"hil.chip.{name}")
    except ImportError as e:
        raise ValueError(f"chip = {name!r}: there is no hil/chip/{name}.py") from e


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
    # Where a misplaced W1 lands, as the catalogue names it (docs/bench.md "The fault
    # catalogue"): wrong-pin on a free pin, strap-pin on the FLASH strap (GPIO0).
    wrong_pin: PinRef | None = None
    strap_pin: PinRef | None = None
    half_cycle_s: float = 0.5
    tolerance_s: float = 0.1
    source: str = "<builtin reference>"
    chip_name: str = DEFAULT_CHIP

    @property
    def chip(self) -> ModuleType:
        """The board type's facts (hil/chip/<chip_name>.py)."""
        return chip_module(self.chip_name)

    @property
    def leds(self) -> tuple[Led, Led]:
        return (self.led, self.led2)

    def used_gpios(self) -> set[int]:
        pins = [self.led, self.led2, self.button, self.stimulus, self.ground_sense,
                self.rail_sense, self.press]
        return {p.gpio for p in pins if p is not None}

    def label(self, gpio: int) -> str:
        """The name this bench gives a pin: its role's label, else the board's silk-screen."""
        for ref in (self.led, self.led2, self.button, self.stimulus, self.ground_sense,
                    self.rail_sense, self.press):
            if ref is not None and ref.gpio == gpio:
                return ref.label
        return self.chip.label(gpio)

    def free_gpios(self) -> list[int]:
        """Pins nothing on the bench uses: a misplaced wire may have landed there."""
        return sorted(self.chip.USABLE_PINS - self.used_gpios())


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


def _pin_of(entry: dict | None, what: str, chip: ModuleType) -> PinRef | None:
    if entry is None:
        return None
    gpio = int(entry["gpio"])
    if gpio not in chip.VALID_PINS:
        raise ValueError(f"{what}: GPIO{gpio} is not a pin of the {chip.NAME}")
    return PinRef(gpio, str(entry.get("label", chip.label(gpio))))


def _parse(d: dict, source: str) -> BenchProfile:
    chip_name = str(d.get("chip", DEFAULT_CHIP))
    chip = chip_module(chip_name)

    def _pin(entry: dict | None, what: str) -> PinRef | None:
        return _pin_of(entry, what, chip)

    leds = d["leds"]

    def led(key: str) -> Led:
        ref = _pin(leds[key], f"leds.{key}")
        # polarity: the profile's word, else the board's (hil/chip: its on-board LEDs)
        default = chip.LEDS.get(ref.gpio, True)
        return Led(ref.gpio, ref.label, bool(leds[key].get("active_low", default)))

    probes = d.get("probes", {})
    actuator = d.get("actuator", {})
    app = d.get("app", {})
    button = _pin(d["button"], "button")
    press = _pin(actuator.get("press"), "actuator.press")
    stimulus = _pin(probes.get("stimulus"), "probes.stimulus")
    for ref, what in ((stimulus, "probes.stimulus"), (press, "actuator.press")):
        if ref is not None and ref.gpio in chip.UART_PINS:
            raise ValueError(f"{what}: GPIO{ref.gpio} carries the REPL")
    profile = BenchProfile(
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
        chip_name=chip_name,
    )
    return _with_landings(profile, d.get("faults", {}))


def _with_landings(profile: BenchProfile, faults: dict) -> BenchProfile:
    """Where a misplaced W1 lands: [faults] wrong_pin / strap_pin, else from the free pins.

    Defaults: wrong-pin on the first free pin that is not a boot strap (D2 on
    the reference bench), strap-pin on the FLASH strap GPIO0 if it is free.
    """
    chip = profile.chip
    free = profile.free_gpios()
    wrong = _pin_of(faults.get("wrong_pin"), "faults.wrong_pin", chip)
    if wrong is None:
        plain = [g for g in free if g not in chip.STRAP_PINS]
        wrong = PinRef(plain[0], chip.label(plain[0])) if plain else None
    strap = _pin_of(faults.get("strap_pin"), "faults.strap_pin", chip)
    if strap is None and chip.FLASH_STRAP in free:
        strap = PinRef(chip.FLASH_STRAP, chip.label(chip.FLASH_STRAP))
    for ref, what in ((wrong, "faults.wrong_pin"), (strap, "faults.strap_pin")):
        if ref is not None and ref.gpio in profile.used_gpios():
            raise ValueError(f"{what}: GPIO{ref.gpio} is already used on this bench")
    return dataclasses.replace(profile, wrong_pin=wrong, strap_pin=strap)
