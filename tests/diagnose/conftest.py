"""Twins for the diagnosis tests: one per fault set, shared by the tests of a module.

A twin starts in well under a second, but the diagnosis tests are many; each
module keeps one twin per fault set and puts the bench back (no jumpers, the
button released, the twin's own faults only) after each test.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hil.sim.faults import FAULTS

NO_PROBES_TOML = """\
# A bench without the unattended probes: a person does the steps.
name = "no-probes"
[leds]
led = { gpio = 2, label = "D4", active_low = true }
led2 = { gpio = 16, label = "D0", active_low = true }
[button]
gpio = 14
label = "D5"
pull_up = true
"""


class Twins:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.running: dict[tuple[str, ...], Any] = {}

    def get(self, *faults: str) -> Any:
        from hil.sim.twin import Twin

        key = tuple(sorted(faults))
        twin = self.running.get(key)
        if twin is None:
            twin = Twin(self.root / ("-".join(key) or "ok"), faults=list(key))
            twin.start()
            self.running[key] = twin
        tidy(twin, key)
        return twin

    def stop(self) -> None:
        for twin in self.running.values():
            twin.stop()
        self.running.clear()


def tidy(twin: Any, faults: tuple[str, ...]) -> None:
    """The bench as the fault left it: no operator jumpers, button released."""
    for w in twin.state().get("wires", []):
        twin.wire(w["a"], w["b"], False)
    for name in twin.state().get("bench_wires", {}):
        twin.insert_wire(name)
    twin.press(False)
    twin.set_faults(set=list(faults), clear=[f for f in FAULTS if f not in faults])


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twins]:
    """Start twins on demand (one per fault set); all stopped when the module ends."""
    t = Twins(tmp_path_factory.mktemp("twins"))
    try:
        yield t
    finally:
        t.stop()


@pytest.fixture(scope="session")
def no_probes_profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "no-probes.toml"
    path.write_text(NO_PROBES_TOML)
    return path


def post(control_url: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """One request to the twin's control endpoint, as a script at the bench would send it."""
    req = urllib.request.Request(control_url + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=5.0) as resp:
        return json.loads(resp.read() or b"{}")


class TwinOperator:
    """A scripted person: performs each prompt through the twin's control endpoint.

    ``skip``: prompt keywords whose first occurrence the operator ignores (a
    skipped action); ``wrong``: prompt keywords whose first occurrence the
    operator answers with a jumper in the wrong place. The diagnosis must ask
    again, not conclude. ``button``: the pin the bench profile names as the
    button's (the prompts name it; the operator's jumpers go there).
    """

    # (keyword in the prompt, action); the first match wins, so the more
    # specific phrases come first.
    def __init__(self, control_url: str, skip: tuple[str, ...] = (),
                 wrong: dict[str, tuple[str, str]] | None = None, button: str = "D5") -> None:
        self.url = control_url
        self.button = button  # the twin's net the bench profile calls the button pin
        self.skip = list(skip)
        # prompt keyword -> the jumper (a, b) the operator wrongly connects instead, once
        self.wrong = dict(wrong or {})
        self.prompts: list[str] = []
        self.jumpers: list[tuple[str, str]] = []
        self.live_reads = 0

    def _wire(self, a: str, b: str, connect: bool) -> None:
        post(self.url, "/wire", {"a": a, "b": b, "connect": connect})
        if connect:
            self.jumpers.append((a, b))
        elif (a, b) in self.jumpers:
            self.jumpers.remove((a, b))

    def _rules(self) -> list[tuple[str, Any]]:
        return [
            ("these readings fit no single fault", lambda: None),
            ("bridge the rail halves", lambda: self._wire("RAIL_NEAR", "RAIL_FAR", True)),
            ("take the jumper", self._take_all),
            ("unplug the jumper's end from the board's GND pin",
             lambda: self._wire(self.button, "GND", False)),
            ("unplug the jumper's end from the GND rail next to the button",
             lambda: self._wire(self.button, "RAIL_FAR", False)),
            ("unplug the jumper's end from the button's row B",
             lambda: self._wire(self.button, "ROW_B", False)),
            ("plug that end into the breadboard's GND rail next to the button",
             lambda: self._wire(self.button, "RAIL_FAR", True)),
            ("plug that end into the button's row B", lambda: self._wire(self.button, "ROW_B", True)),
            (f"connect a jumper from {self.button} straight to a GND pin",
             lambda: self._wire(self.button, "GND", True)),
            ("connect a jumper from the button's row A",
             lambda: self._wire("ROW_A", "GND", True)),
            ("release the button", lambda: post(self.url, "/button", {"pressed": False})),
            ("press and hold the button", lambda: post(self.url, "/button", {"pressed": True})),
            ("pull W1 out", lambda: post(self.url, "/wire", {"wire": "W1", "connect": False})),
            ("put W1 back", lambda: post(self.url, "/wire", {"wire": "W1", "connect": True})),
        ]

    def _take_all(self) -> None:
        for a, b in list(self.jumpers):
            self._wire(a, b, False)

    def say(self, text: str) -> None:
        self.prompts.append(text)
        for key, action in self._rules():
            if key in text:
                if key in self.skip:
                    self.skip.remove(key)  # botch it once
                    return
                if key in self.wrong:
                    self._wire(*self.wrong.pop(key), True)  # the wrong hole, once
                    return
                action()
                return
        raise AssertionError(f"the scripted operator does not know this prompt: {text!r}")

    def confirm(self, live=None) -> bool:
        if live is not None:
            assert all(v in (0, 1) for v in live().values())
            self.live_reads += 1
        return True
