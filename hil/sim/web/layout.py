"""`GET /bench`: what the page draws, from the bench profile and the twin's breadboard.

The pins (LEDs, button, probes, actuator) come from the bench profile
(hil/bench/reference.toml, `hil.bench.profile`: data, not harness protocol
code); the bench's own wires, the nets a jumper can join and the fault
catalogue from the twin's breadboard and fault model, so the page offers
exactly what `POST /wire` and `POST /faults` accept.
"""

from __future__ import annotations

from typing import Any

from hil.sim.breadboard import BENCH_WIRE_ENDS, BENCH_WIRES, NET_NAMES
from hil.sim.faults import FAULTS, RATED

# The NodeMCU DevKit 1.0 headers, USB end first (nodemcu-devkit-v1.0 pinout, "NODEMCU_DEVKIT_V1.0_PINMAP").
HEADER_D_SIDE = ("D0", "D1", "D2", "D3", "D4", "3V3", "GND", "D5", "D6", "D7", "D8", "RX", "TX", "GND", "3V3")
HEADER_A_SIDE = ("A0", "RSV", "RSV", "SD3", "SD2", "SD1", "CMD", "SD0", "CLK", "GND", "3V3", "EN", "RST", "GND", "VIN")



def _pin(ref: Any) -> dict[str, Any] | None:
    return None if ref is None else {"label": ref.label, "gpio": ref.gpio}


def bench_layout(profile: Any = None) -> dict[str, Any]:
    """The page's drawing facts; `profile` None is the reference bench profile."""
    if profile is None:
        from hil.bench.profile import load_profile  # the one description of the bench's pins

        profile = load_profile()
    leds = [
        {**_pin(led), "active_low": led.active_low}  # type: ignore[dict-item]
        for led in profile.leds
    ]
    probes = {
        name: {**_pin(ref), "net": net, "role": role}  # type: ignore[dict-item]
        for name, ref, net, role in (
            ("P1", profile.stimulus, "ROW_A", "open-drain stimulus into row A"),
            ("P2", profile.ground_sense, "ROW_B", "pull-up sense on row B"),
            ("P3", profile.rail_sense, "RAIL_FAR", "pull-up sense on the rail's far half"),
        )
        if ref is not None
    }
    wires = {"W1": (profile.button.label, "ROW_A"), **BENCH_WIRE_ENDS}  # W1: button pin -> row A
    return {
        "name": profile.name,
        "source": profile.source,
        "leds": leds,
        "button": {**_pin(profile.button), "pull_up": profile.button_pull_up},  # type: ignore[dict-item]
        "probes": probes,
        "actuator": _pin(profile.press),
        "bench_wires": {name: {"from": wires[name][0], "to": wires[name][1]} for name in BENCH_WIRES},
        "nets": list(NET_NAMES),
        "header": {"d_side": list(HEADER_D_SIDE), "a_side": list(HEADER_A_SIDE)},
        # rated faults take NAME:RATE in POST /faults (`intermittent:0.02`)
        "faults": [{"name": f.name, "description": f.description, "rated": f.name in RATED}
                   for f in FAULTS.values()],
        "half_cycle_s": profile.half_cycle_s,
    }
