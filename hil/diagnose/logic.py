"""What a reading means: readings of the bench -> the fault of the catalogue.

Pure (no IO). The one source of truth for "what does this reading mean": the
`hil diagnose` command and the suite's failure messages both call `decide`.

The fault catalogue is `docs/bench.md` ("The fault catalogue").
Each fault is modelled as the reading it predicts for each observation; a
diagnosis keeps the faults whose predictions agree with every observation
taken. One fault left is the verdict; several are an honest `ambiguous` with
the step that would tell them apart; none (readings no single fault explains:
two faults at once, or an operator step done wrong) is `ambiguous` too, with
the faults that explain the most readings, never a wrong single verdict.

Observations (the same meaning whether a probe or a person took them):
- ``idle``: D5 with its pull-up, nothing pressed (1, 0 or random);
- ``stimulus``: D5 while row A is pulled to GND (P1 open-drain low, or an
  operator's jumper from row A to GND); ``dropped``: free pins that followed;
- ``ground``: does row B reach GND (P2, or D5 jumpered to row B): 0 = yes;
- ``rail``: does the rail's far half reach GND (P3, or D5 jumpered to it): 0 = yes;
- ``pressed``: D5 while the button is held (actuator or a person);
- ``w1_pulled``: D5 with W1 pulled out of the board (operator only);
- ``bridged``: the far half's reading with the halves bridged (operator only).
LED read-back (``stuck-led``) is independent of the button chain and is
judged apart from it.

Pins are the bench's, never this module's: the models, repairs, steps and
evidence are written with placeholders (``{button}``, ``{wrong_pin}``, ...)
and rendered from the bench profile (`words`), so a bench wired differently
gets verdicts that name its own pins. Without a profile, the reference bench.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from hil.bench import BenchProfile, load_profile

MIXED = "x"  # a window with both levels in it (flickers / floats)
FLOAT_SHARE = 0.2  # minority share above which a window reads as floating, not glitching

# The catalogue as predictions. Keys: observation -> predicted value
# (0, 1, MIXED; for "dropped" a tuple of pin labels). docs/bench.md, table
# "The fault catalogue"; "w1_pulled"/"bridged" from its ambiguity notes.
_HEALTHY: dict[str, object] = {
    "idle": 1, "stimulus": 0, "dropped": (), "ground": 0, "rail": 0, "pressed": 0,
    "w1_pulled": 1, "bridged": 0,
}


def _model(**changes: object) -> dict[str, object]:
    m = dict(_HEALTHY)
    m.update(changes)
    return m


MODELS: dict[str, dict[str, object]] = {
    "ok": _model(),
    "dead-button": _model(pressed=1),
    # Rows A and B joined for good: D5 is grounded whatever else happens,
    # until W1 leaves the board.
    "button-rotated": _model(idle=0, pressed=0),
    # D5 grounded at the board: stays 0 with W1 pulled out.
    "short-to-gnd": _model(idle=0, pressed=0, w1_pulled=0),
    # Far half not bridged: bridging fixes it. W3 broken: the near half does not
    # reach GND either, so bridging does not help.
    "split-rail": _model(ground=1, rail=1, pressed=1, bridged=0),
    "broken-wire-rail-gnd": _model(ground=1, rail=1, pressed=1, bridged=1),
    "broken-wire-button-rail": _model(ground=1, pressed=1),
    "broken-wire-d5": _model(stimulus=1, pressed=1),
    "wrong-pin": _model(stimulus=1, dropped=("{wrong_pin}",), pressed=1),
    "strap-pin": _model(stimulus=1, dropped=("{strap_pin}",), pressed=1),
    "intermittent": _model(pressed=MIXED),
    # Without the pull-up D5 only has a level while something grounds it.
    "no-pullup": _model(idle=MIXED, w1_pulled=MIXED),
}
FAULT_NAMES = tuple(n for n in MODELS if n != "ok") + ("stuck-led",)

REPAIRS: dict[str, str] = {
    "ok": "Nothing to repair: the button, its wires and the GND rail work.",
    "dead-button": "Replace the push button: its contacts never close.",
    "button-rotated": "Turn the button 90 degrees so W1 and W2 sit on opposite terminals.",
    "short-to-gnd": ("Remove the short between {button} and GND at the board (solder bridge, "
                     "stray wire)."),
    "split-rail": "Bridge the two halves of the GND rail with a jumper.",
    "broken-wire-rail-gnd": "Replace W3, the jumper from the GND rail to the board's GND pin.",
    "broken-wire-button-rail": "Replace W2, the jumper from the button to the GND rail.",
    "broken-wire-d5": "Replace W1, the jumper from {button} to the button.",
    "wrong-pin": "Move W1 from {wrong_pin} to {button}.",
    "strap-pin": ("Move W1 from {strap_pin} (GPIO{strap_gpio}, a boot strap: the button held at "
                  "reset enters the bootloader) to {button}."),
    "intermittent": "Replace the push button: its contact is worn and closes only sometimes.",
    "no-pullup": ("Give {button} a pull-up: Pin({button_gpio}, Pin.IN, Pin.PULL_UP), or a "
                  "10 kOhm resistor to 3V3."),
    "stuck-led": "The LED pin does not follow what is written: replace the board (damaged output).",
}

# Where each fault lives in the bench drawing (hil/diagnose/picture.py marks it):
# button, d5 (the button pin), w1 w2 w3, bridge, d2 / d3 (W1's wrong landings), led.
PARTS: dict[str, tuple[str, ...]] = {
    "dead-button": ("button",),
    "button-rotated": ("button",),
    "intermittent": ("button",),
    "short-to-gnd": ("d5",),
    "no-pullup": ("d5",),
    "split-rail": ("bridge",),
    "broken-wire-rail-gnd": ("w3",),
    "broken-wire-button-rail": ("w2",),
    "broken-wire-d5": ("w1",),
    "wrong-pin": ("w1", "d2"),
    "strap-pin": ("w1", "d3"),
    "stuck-led": ("led",),
}

# The step that tells faults apart, per observation (operator wording; docs/bench.md).
STEP_TEXT: dict[str, str] = {
    "idle": "read {button} with nothing pressed",
    "pressed": "press and hold the button",
    "stimulus": "connect a jumper from the button's row A (where W1 ends) to a GND pin of the board",
    "ground": "connect a jumper from {button} to the button's row B (where W2 starts)",
    "rail": "connect a jumper from {button} to the breadboard's GND rail next to the button",
    "w1_pulled": "pull W1 out of the board: still 0 means the short is at the board",
    "bridged": "bridge the rail halves with a jumper",
}
STEP_ORDER = ("idle", "pressed", "rail", "ground", "stimulus", "w1_pulled", "bridged")




@lru_cache(maxsize=1)
def reference() -> BenchProfile:
    """The reference bench (hil/bench/reference.toml), for callers without a profile."""
    return load_profile(None)


def words(profile: BenchProfile | None = None) -> dict[str, str]:
    """The bench's pin names for the placeholders of the models and sentences."""
    p = profile or reference()

    def name(ref: object, default: str) -> str:
        return ref.label if ref is not None else default  # type: ignore[attr-defined]

    return {
        "button": p.button.label, "button_gpio": str(p.button.gpio),
        "stim": name(p.stimulus, "P1"), "ground": name(p.ground_sense, "P2"),
        "rail": name(p.rail_sense, "P3"),
        "wrong_pin": name(p.wrong_pin, "another pin"),
        "strap_pin": name(p.strap_pin, "GPIO0"),
        "strap_gpio": str(p.strap_pin.gpio if p.strap_pin is not None else 0),
    }


def render(text: str, profile: BenchProfile | None = None) -> str:
    """A sentence of this module with the bench's pin names filled in."""
    return text.format(**words(profile))


def models(profile: BenchProfile | None = None) -> dict[str, dict[str, object]]:
    """MODELS with this bench's pins: where a misplaced W1 lands is the profile's."""
    w = words(profile)
    return {name: {k: (tuple(x.format(**w) for x in v) if k == "dropped" else v)
                   for k, v in m.items()} for name, m in MODELS.items()}


def landings(profile: BenchProfile | None = None) -> tuple[str, ...]:
    """Labels of the pins the catalogue's misplaced W1 lands on (wrong-pin, strap-pin).

    Other pins that follow row A (on a twin, the probe wires themselves) are
    evidence, not a fault of the catalogue.
    """
    p = profile or reference()
    return tuple(r.label for r in (p.wrong_pin, p.strap_pin) if r is not None)


@dataclass(frozen=True)
class Sample:
    """A sampling window of one pin: one read is not enough to tell flicker from level."""

    values: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError("a Sample needs at least one read")

    @classmethod
    def of(cls, text: str | bytes | list[int] | tuple[int, ...]) -> Sample:
        """From "0101..." text, bytes of 0/1, or a sequence of ints."""
        if isinstance(text, str):
            return cls(tuple(int(c) for c in text if c in "01"))
        return cls(tuple(1 if v else 0 for v in text))

    @property
    def stable(self) -> int | None:
        """0 or 1 if every read agrees, else None."""
        first = self.values[0]
        return first if all(v == first for v in self.values) else None

    @property
    def flickers(self) -> bool:
        return self.stable is None

    @property
    def ones(self) -> int:
        return sum(self.values)

    @property
    def floating(self) -> bool:
        """Both levels, each in a good share of the reads: a line without a level."""
        minority = min(self.ones, len(self.values) - self.ones)
        return minority >= max(1, FLOAT_SHARE * len(self.values))

    @property
    def majority(self) -> int:
        return 1 if 2 * self.ones >= len(self.values) else 0

    def describe(self) -> str:
        n = len(self.values)
        if self.stable is not None:
            return f"{self.stable} ({n}/{n} reads)"
        kind = "floats" if self.floating else "flickers"
        return f"{kind}: {self.ones} of {n} reads are 1"


@dataclass(frozen=True)
class LedReadback:
    """One LED pin written 0 then 1, and what it read back each time."""

    label: str
    gpio: int
    read_after_0: int
    read_after_1: int

    @property
    def ok(self) -> bool:
        return self.read_after_0 == 0 and self.read_after_1 == 1

    def describe(self) -> str:
        return (f"wrote 0 read {self.read_after_0}, "
                f"wrote 1 read {self.read_after_1}")


@dataclass(frozen=True)
class Readings:
    """Everything measured on the bench; None = not measured (no probe, step not done)."""

    d5_idle: Sample | None = None
    d5_stimulus: Sample | None = None            # P1 pulls row A low
    dropped: tuple[str, ...] = ()                # free pins that fell while row A was low
    p2: Sample | None = None                     # ground sense (row B)
    p3: Sample | None = None                     # rail sense (far half)
    d5_pressed: Sample | None = None
    leds: tuple[LedReadback, ...] = ()
    d5_idle_no_pull: Sample | None = None        # evidence only: D5 with its pull-up off
    # Operator answers (guided): D5 readings with a person's jumper or action in place.
    d5_jumper_board_gnd: Sample | None = None    # D5 -> GND pin of the board (proves D5 reads)
    d5_jumper_rail_far: Sample | None = None     # D5 -> the rail next to the button (like P3)
    d5_jumper_row_b: Sample | None = None        # D5 -> row B (like P2)
    d5_row_a_grounded: Sample | None = None      # row A -> GND (like P1)
    row_a_dropped: tuple[str, ...] = ()
    d5_w1_pulled: Sample | None = None
    rail_bridged: Sample | None = None           # far-half reading with the halves bridged
    notes: tuple[str, ...] = ()                  # e.g. which probes the profile lacks

    def observations(self, profile: BenchProfile | None = None) -> dict[str, object]:
        """Observation name -> observed value (see the module doc), for what was measured."""
        obs: dict[str, object] = {}

        def put(key: str, sample: Sample | None, idle_like: bool = False) -> None:
            if sample is not None:
                obs[key] = _value(sample, idle_like)

        put("idle", self.d5_idle, idle_like=True)
        stim = self.d5_stimulus if self.d5_stimulus is not None else self.d5_row_a_grounded
        put("stimulus", stim)
        if stim is not None:
            dropped = self.dropped if self.d5_stimulus is not None else self.row_a_dropped
            obs["dropped"] = tuple(sorted(set(dropped) & set(landings(profile))))
        put("ground", self.p2 if self.p2 is not None else self.d5_jumper_row_b)
        put("rail", self.p3 if self.p3 is not None else self.d5_jumper_rail_far)
        put("pressed", self.d5_pressed)
        put("w1_pulled", self.d5_w1_pulled, idle_like=True)
        put("bridged", self.rail_bridged)
        return obs

    @property
    def leds_ok(self) -> bool | None:
        if not self.leds:
            return None
        return all(led.ok for led in self.leds)


class _Glitchy:
    """A window with a clear majority and a few odd reads: fits MIXED or the majority."""

    def __init__(self, majority: int) -> None:
        self.majority = majority

    def __eq__(self, other: object) -> bool:
        return other == MIXED or other == self.majority

    def __hash__(self) -> int:
        return hash(("glitchy", self.majority))

    def __repr__(self) -> str:
        return f"mostly {self.majority}"


def _value(sample: Sample, idle_like: bool) -> object:
    """0, 1, MIXED, or (an idle line with rare glitches) something fitting both."""
    if sample.stable is not None:
        return sample.stable
    if idle_like and not sample.floating:
        # A pulled line that glitches now and then: no-pullup's random walk and a
        # held level both fit; let the other readings decide (or stay ambiguous).
        return _Glitchy(sample.majority)
    return MIXED


@dataclass(frozen=True)
class Step:
    """One piece of evidence: what was done, what it read, who did it."""

    name: str
    action: str
    reading: str
    source: str = "probe"   # "probe", "operator", "software"

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "action": self.action, "reading": self.reading,
                "source": self.source}


@dataclass(frozen=True)
class Verdict:
    verdict: str                      # a fault name, "ok" or "ambiguous"
    candidates: tuple[str, ...]       # () for a single verdict
    repair: str                       # one sentence
    next_step: str | None             # the step that would tell candidates apart
    evidence: tuple[Step, ...]
    also: tuple[str, ...] = ()        # a second, independent fault (stuck-led with another)
    next_observation: str | None = field(default=None, compare=False)

    @property
    def suspects(self) -> tuple[str, ...]:
        """The faults this verdict points at (for the picture)."""
        own = self.candidates if self.verdict == "ambiguous" else (
            () if self.verdict == "ok" else (self.verdict,))
        return own + self.also

    def to_json(self) -> dict[str, object]:
        return {
            "verdict": self.verdict,
            "candidates": list(self.candidates),
            "repair": self.repair,
            "next_step": self.next_step,
            "evidence": [s.to_json() for s in self.evidence],
            "also": list(self.also),
        }


def candidates(observations: Mapping[str, object],
               profile: BenchProfile | None = None) -> tuple[str, ...]:
    """The faults (and "ok") whose predictions agree with every observation."""
    return tuple(name for name, model in models(profile).items()
                 if all(model[k] == v or v == model[k] for k, v in observations.items()))


def best_fits(observations: Mapping[str, object],
              profile: BenchProfile | None = None) -> tuple[str, ...]:
    """The faults that agree with the most observations (for readings no fault explains)."""
    scores = {name: sum(1 for k, v in observations.items() if v == model[k])
              for name, model in models(profile).items()}
    top = max(scores.values(), default=0)
    return tuple(n for n, s in scores.items() if s == top)


def telling_step(names: tuple[str, ...], taken: Mapping[str, object] = {}) -> str | None:
    """The first observation (STEP_ORDER) not yet taken on which the candidates differ."""
    for key in STEP_ORDER:
        if key in taken:
            continue
        predictions = {repr(MODELS[n][key]) for n in names}
        if len(predictions) > 1:
            return key
    return None


def evidence(readings: Readings, profile: BenchProfile | None = None) -> tuple[Step, ...]:
    """Each measurement that was taken, in the order a person would take them."""
    steps: list[Step] = []

    def add(name: str, action: str, sample: Sample | None, source: str, extra: str = "") -> None:
        if sample is not None:
            steps.append(Step(name, render(action, profile), sample.describe() + extra, source))

    r = readings
    add("idle", "{button} with its pull-up, nothing pressed", r.d5_idle, "software")
    add("idle_no_pull", "{button} with its pull-up off", r.d5_idle_no_pull, "software")
    drop = f"; also dropped: {', '.join(r.dropped)}" if r.dropped else "; no other pin dropped"
    add("stimulus", "{button} while P1 ({stim}, open-drain) pulls row A low", r.d5_stimulus,
        "probe", drop if r.d5_stimulus is not None else "")
    add("ground", "P2 ({ground}) on row B: 0 = row B reaches GND", r.p2, "probe")
    add("rail", "P3 ({rail}) on the rail's far half: 0 = it reaches GND", r.p3, "probe")
    add("pressed", "{button} while the button is pressed", r.d5_pressed, "probe")
    add("board_gnd", "{button} with a jumper to a GND pin of the board", r.d5_jumper_board_gnd,
        "operator")
    add("rail", "{button} with a jumper to the GND rail next to the button",
        r.d5_jumper_rail_far, "operator")
    add("ground", "{button} with a jumper to the button's row B", r.d5_jumper_row_b, "operator")
    rdrop = (f"; also dropped: {', '.join(r.row_a_dropped)}" if r.row_a_dropped
             else "; no other pin dropped")
    add("stimulus", "{button} with the button's row A jumpered to GND", r.d5_row_a_grounded,
        "operator", rdrop if r.d5_row_a_grounded is not None else "")
    add("w1_pulled", "{button} with W1 pulled out of the board", r.d5_w1_pulled, "operator")
    add("bridged", "the rail's far half with the halves bridged", r.rail_bridged, "operator")
    for led in r.leds:
        steps.append(Step("led", f"write 0 then 1 to LED {led.label}/GPIO{led.gpio}",
                          led.describe(), "software"))
    for note in r.notes:
        steps.append(Step("note", note, "", "software"))
    return tuple(steps)


def decide(readings: Readings, profile: BenchProfile | None = None) -> Verdict:
    """The verdict for these readings: one fault, "ok", or "ambiguous" with candidates.

    ``profile``: the bench the readings come from (its pins name the landings of
    a misplaced W1 and fill the sentences); None = the reference bench.
    """
    obs = readings.observations(profile)
    ev = evidence(readings, profile)
    fits = candidates(obs, profile)
    led_fault = readings.leds_ok is False

    def repair_of(name: str) -> str:
        return render(REPAIRS[name], profile)

    if len(fits) == 1:
        name = fits[0]
        if name == "ok" and led_fault:
            return Verdict("stuck-led", (), repair_of("stuck-led"), None, ev)
        also = ("stuck-led",) if led_fault else ()
        repair = repair_of(name) + (f" Also: {repair_of('stuck-led')}" if also else "")
        return Verdict(name, (), repair, None, ev, also)

    also = ("stuck-led",) if led_fault else ()
    if not fits:
        best = best_fits(obs, profile)
        return Verdict(
            "ambiguous", tuple(n for n in best if n != "ok") or best,
            "The readings fit no single fault of the catalogue (two faults at once, or a step "
            "done wrong): check the wiring against the bench drawing, then run again.",
            "repeat the diagnosis after re-seating W1, W2, W3 and the rail bridge",
            ev, also)

    key = telling_step(fits, obs)
    step = render(STEP_TEXT[key], profile) if key in STEP_TEXT else None
    names = fits
    options = [f"{_lower_first(repair_of(n).rstrip('.'))} ({n})" for n in names]
    repair = "Either " + ", or ".join(options)
    repair += f"; to know which, {step}." if step else "."
    return Verdict("ambiguous", names, repair, step, ev, also, next_observation=key)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def explain_button_failure(readings: Readings) -> str:
    """A sentence naming the likely fault(s) behind a button test that failed, for the suite."""
    return explain(decide(readings))


def explain(v: Verdict) -> str:
    """The verdict as the suite's failure messages say it: "Likely fault: ..."."""
    if v.verdict == "ok":
        return "The probes find the button, its wires and the GND rail working (hil diagnose: ok)."
    if v.verdict == "ambiguous":
        text = f"Likely fault: one of {', '.join(v.candidates)}"
        if v.next_step:
            text += f"; to tell them apart: {v.next_step}"
        return text + "."
    return f"Likely fault: {v.verdict}. {v.repair}"
