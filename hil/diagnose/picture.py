"""A picture of the bench (schemdraw, SVG) with the suspect part marked in red.

The drawing follows docs/bench.md "The wiring, named": the button pin -W1-
button (row A | row B) -W2- GND rail far half -bridge- near half -W3- board
GND, plus the probes P1, P2, P3 the bench has and an on-board LED. Every pin
name comes from the bench profile (the reference bench: D5, probes D6, D7, D1,
W1's wrong landings D2 and D3). A single verdict is drawn red; the candidates
of an ambiguous verdict orange.
"""

from __future__ import annotations

from pathlib import Path

import schemdraw
import schemdraw.elements as elm

from hil.bench import BenchProfile
from hil.diagnose.logic import PARTS, Verdict

SUSPECT = "#d62728"
CANDIDATE = "#ff7f0e"
NORMAL = "black"

def colours(verdict: Verdict) -> dict[str, str]:
    marked: dict[str, str] = {}
    colour = CANDIDATE if verdict.verdict == "ambiguous" else SUSPECT
    for name in verdict.suspects:
        for part in PARTS.get(name, ()):
            marked[part] = SUSPECT if name in verdict.also else colour
    return marked


def draw(verdict: Verdict, profile: BenchProfile, path: Path | str) -> Path:
    """Write the bench drawing with the suspects marked to ``path`` (SVG); returns the path."""
    path = Path(path)
    c = colours(verdict)

    def col(part: str) -> str:
        return c.get(part, NORMAL)

    def lw(part: str) -> float:
        return 3.0 if part in c else 1.5

    schemdraw.use("svg")
    with schemdraw.Drawing(show=False) as d:
        d.config(fontsize=11, unit=2.5)
        title = (f"verdict: {verdict.verdict}" if verdict.verdict != "ambiguous"
                 else f"ambiguous: {' or '.join(verdict.candidates)}")
        d += elm.Label().at((-2, 1.2)).label(title, loc="right", halign="left").color(
            SUSPECT if verdict.suspects else NORMAL)
        # The board's pin header (left).
        btn = profile.button
        wrong = profile.wrong_pin.label if profile.wrong_pin else "(free pin)"
        strap = profile.strap_pin.label if profile.strap_pin else "(strap pin)"
        board = elm.Ic(pins=[
            elm.IcPin(name=btn.label, side="right", slot="4/4", anchorname="p_d5"),
            elm.IcPin(name=wrong, side="right", slot="3/4", anchorname="p_d2"),
            elm.IcPin(name=strap, side="right", slot="2/4", anchorname="p_d3"),
            elm.IcPin(name="GND", side="right", slot="1/4", anchorname="p_gnd"),
            elm.IcPin(name=profile.led.label, side="left", slot="1/1", anchorname="p_led"),
        ], edgepadW=1.0, size=(2.2, 5)).label(f"{profile.chip.NAME} {profile.chip.BOARD}", loc="top").at((0, -5))
        d += board
        a = board.absanchors
        d5, d2, d3, gnd, led = a["p_d5"], a["p_d2"], a["p_d3"], a["p_gnd"], a["p_led"]
        d += elm.Dot().at(d5).color(col("d5"))
        if "d5" in c:
            d += elm.Label().at(d5).label(f"{btn.label} input / pull-up", loc="bottom",
                                          ofst=0.3).color(
                col("d5"))
        for part, at in (("d2", d2), ("d3", d3)):
            if part in c:
                d += elm.Dot(open=True).at(at).color(col(part))
        d += elm.LED().at(led).left().color(col("led")).linewidth(lw("led")).label("LED", loc="top")

        # W1: the button pin -> row A of the button.
        w1 = elm.Line().at(d5).right(3).color(col("w1")).linewidth(lw("w1")).label("W1")
        d += w1
        row_a = w1.end
        d += elm.Dot().at(row_a).label("row A", loc="bottom")
        for part, at in (("d2", d2), ("d3", d3)):
            if part in c:  # where a misplaced W1 lands instead of the button pin
                d += elm.Wire("-|").at(at).to(row_a).color(col(part)).linestyle("--").label(
                    "W1 lands here?", loc="bottom")
        if profile.stimulus is not None:
            d += elm.Line().at(row_a).up(0.8).color(NORMAL).label(
                f"P1 ({profile.stimulus.label})", loc="right")
        but = elm.Button().at(row_a).right(2.5).color(col("button")).linewidth(lw("button"))
        d += but.label("button")
        row_b = but.end
        d += elm.Dot().at(row_b).label("row B", loc="bottom")
        if profile.ground_sense is not None:
            d += elm.Line().at(row_b).up(0.8).color(NORMAL).label(
                f"P2 ({profile.ground_sense.label})", loc="right")
        w2 = elm.Line().at(row_b).down(3.5).color(col("w2")).linewidth(lw("w2")).label("W2")
        d += w2
        far = w2.end
        d += elm.Dot().at(far).label("far half", loc="right")
        if profile.rail_sense is not None:
            d += elm.Line().at(far).down(0.8).color(NORMAL).label(
                f"P3 ({profile.rail_sense.label})", loc="right")
        bridge = elm.Line().at(far).left(2.5).color(col("bridge")).linewidth(lw("bridge"))
        if "bridge" in c:
            bridge = elm.Gap().at(far).left(2.5).color(col("bridge"))
            d += bridge.label("rail split", loc="bottom")
        else:
            d += bridge.label("bridge", loc="bottom")
        near = bridge.end
        d += elm.Dot().at(near).label("near half", loc="top")
        w3 = elm.Wire("|-").at(near).to(gnd).color(col("w3")).linewidth(lw("w3"))
        d += w3.label("W3", loc="bottom")
        d += elm.Ground().at(gnd).color(NORMAL)
        path.parent.mkdir(parents=True, exist_ok=True)
        d.save(str(path))
    return path
