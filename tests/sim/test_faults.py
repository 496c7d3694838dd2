"""Every fault of the catalogue (docs/bench.md) changes the pin readings exactly
as the table says, read by machine.Pin code on the twin over a real RFC2217 connection
(mpremote's SerialTransport), with the button pressed through the Twin API."""

from __future__ import annotations

import ast
import time
from collections.abc import Iterator
from typing import Any

import pytest
from mpremote.transport_serial import SerialTransport

SETUP = """\
from machine import Pin
b = Pin(14, Pin.IN, Pin.PULL_UP)
d2 = Pin(4, Pin.IN, Pin.PULL_UP)
d3 = Pin(0, Pin.IN, Pin.PULL_UP)
p2 = Pin(13, Pin.IN, Pin.PULL_UP)
p3 = Pin(5, Pin.IN, Pin.PULL_UP)
p1 = Pin(12, Pin.OPEN_DRAIN, value=1)
def s(p, n=40):
    return sorted(set(p.value() for _ in range(n)))
"""

R = [1]  # reads 1 every time (sampled)
Z = [0]
RANDOM = [0, 1]

# fault: (D5 idle, D5 while P1 pulls row A low, P2, P3, D5 pressed, (D2, D3) while P1 low)
CATALOGUE: dict[str, tuple[list[int], list[int], list[int], list[int], list[int], tuple[list[int], list[int]]]] = {
    "ok": (R, Z, Z, Z, Z, (R, R)),
    "dead-button": (R, Z, Z, Z, R, (R, R)),
    "button-rotated": (Z, Z, Z, Z, Z, (R, R)),
    "short-to-gnd": (Z, Z, Z, Z, Z, (R, R)),
    "split-rail": (R, Z, R, R, R, (R, R)),
    "broken-wire-rail-gnd": (R, Z, R, R, R, (R, R)),
    "broken-wire-button-rail": (R, Z, R, Z, R, (R, R)),
    "broken-wire-d5": (R, R, Z, Z, R, (R, R)),  # and no other pin drops
    "wrong-pin": (R, R, Z, Z, R, (Z, R)),  # D2 drops instead
    "strap-pin": (R, R, Z, Z, R, (R, Z)),  # GPIO0 drops instead
    "intermittent": (R, Z, Z, Z, RANDOM, (R, R)),  # pressed: flickers
    "no-pullup": (RANDOM, Z, Z, Z, Z, (R, R)),  # idle floats
    "stuck-led": (R, Z, Z, Z, Z, (R, R)),
}


class Board:
    """Raw-REPL access through mpremote's own transport (the real client code)."""

    def __init__(self, url: str) -> None:
        self.t = SerialTransport(url, baudrate=115200)
        self.t.enter_raw_repl()

    def run(self, code: str) -> list[Any]:
        out = self.t.exec(code).decode()
        return [ast.literal_eval(line) for line in out.splitlines() if line.strip()]

    def close(self) -> None:
        try:
            self.t.exit_raw_repl()
        finally:
            self.t.close()


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Board]]:
    """One twin for the table (faults switched at run time) and one raw-REPL session."""
    from hil.sim.twin import Twin

    twin = Twin(tmp_path_factory.mktemp("faults"))
    twin.start()
    board = None
    try:
        board = Board(twin.url)
        board.run(SETUP)
        yield twin, board
    finally:
        if board is not None:
            board.close()
        twin.stop()


def readings(twin: Any, board: Board) -> tuple[Any, ...]:
    (idle,) = board.run("print(s(b))")
    p1low, d2, d3 = board.run("p1.value(0)\nprint(s(b))\nprint(s(d2))\nprint(s(d3))\np1.value(1)")
    p2, p3 = board.run("print(s(p2))\nprint(s(p3))")
    twin.press(True)
    try:
        (pressed,) = board.run("print(s(b))")
    finally:
        twin.press(False)
    return idle, p1low, p2, p3, pressed, (d2, d3)


@pytest.mark.parametrize("fault", list(CATALOGUE), ids=list(CATALOGUE))
def test_catalogue_row(bench: tuple[Any, Board], fault: str) -> None:
    twin, board = bench
    twin.set_faults(set=[] if fault == "ok" else [fault], clear=list(twin.state()["faults"]))
    try:
        assert readings(twin, board) == CATALOGUE[fault]
    finally:
        twin.set_faults(clear=[fault] if fault != "ok" else [])


@pytest.mark.parametrize("fault, readback", [("ok", [0]), ("stuck-led", [1])], ids=["ok", "stuck-led"])
def test_led_pin_reads_back_what_was_written_unless_stuck(bench: tuple[Any, Board], fault: str, readback: list[int]) -> None:
    twin, board = bench
    twin.set_faults(set=[] if fault == "ok" else [fault])
    try:
        (got,) = board.run("l = Pin(2, Pin.OUT)\nl.value(0)\nprint(s(l, 5))\nl.value(1)")
        assert got == readback
    finally:
        twin.set_faults(clear=[fault] if fault != "ok" else [])


def test_fault_selected_at_start_split_rail(tmp_path: Any) -> None:
    """`hil sim --fault split-rail` as the issue's done-when: pressed reads 1, P2 and P3 read 1."""
    from hil.sim.twin import Twin

    with Twin(tmp_path / "s", faults=["split-rail"]) as twin:
        board = Board(twin.url)
        try:
            board.run(SETUP)
            idle, _p1low, p2, p3, pressed, _ = readings(twin, board)
        finally:
            board.close()
    assert (idle, p2, p3, pressed) == ([1], [1], [1], [1])


def test_strap_pin_held_at_reset_enters_bootloader(tmp_path: Any) -> None:
    from hil.sim.twin import Twin

    with Twin(tmp_path / "s", faults=["strap-pin"]) as twin:
        twin.press(True)
        twin.reset()
        assert twin.state()["boot"] == "rom"
        twin.press(False)
        twin.reset()
        deadline = time.monotonic() + 5
        while twin.state()["boot"] != "micropython" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert twin.state()["boot"] == "micropython"


def test_led_history_follows_pin_writes(bench: tuple[Any, Board]) -> None:
    twin, board = bench
    start = len(twin.led_history())
    board.run("l = Pin(2, Pin.OUT)\nl.value(0)\nl.value(1)\nl.value(0)\nl.value(1)")
    changes = [e for e in twin.led_history()[start:] if e["gpio"] == 2]
    assert [e["level"] for e in changes][-4:] == [0, 1, 0, 1]
    times = [e["t"] for e in changes]
    assert times == sorted(times)


def test_push_pull_high_against_the_pressed_button_is_reported_as_a_short(bench: tuple[Any, Board]) -> None:
    twin, board = bench
    before = len(twin.state()["shorts"])
    twin.press(True)
    try:
        (level,) = board.run("q = Pin(12, Pin.OUT, value=1)\nprint(q.value())")
    finally:
        twin.press(False)
        board.run("p1 = Pin(12, Pin.OPEN_DRAIN, value=1)")
    assert level == 0
    shorts = twin.state()["shorts"][before:]
    assert shorts and shorts[0]["high"] == ["D6"] and "GND" in shorts[0]["pins"]


@pytest.mark.parametrize(
    "fault, with_w1_out", [("button-rotated", [1]), ("short-to-gnd", [0])], ids=["button-rotated", "short-to-gnd"]
)
def test_pulling_w1_tells_button_rotated_from_short_to_gnd(
    bench: tuple[Any, Board], fault: str, with_w1_out: list[int]
) -> None:
    """The guided step "pull W1 out of the board": the short through the button goes
    away with W1, a short at the board stays (docs/bench.md, the fault catalogue)."""
    import json
    import urllib.request

    twin, board = bench

    def post_wire(connect: bool) -> None:
        body = json.dumps({"wire": "W1", "connect": connect}).encode()
        req = urllib.request.Request(twin.control_url + "/wire", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as r:
            assert json.loads(r.read()) == {"wire": "W1", "connect": connect}

    twin.set_faults(set=[fault], clear=list(twin.state()["faults"]))
    try:
        assert board.run("print(s(b))") == [[0]]
        post_wire(False)  # over HTTP
        assert twin.state()["bench_wires"]["W1"] is False
        assert board.run("print(s(b))") == [with_w1_out]
        post_wire(True)
        assert board.run("print(s(b))") == [[0]]
        twin.pull_wire("W1")  # the same through the Python API
        assert board.run("print(s(b))") == [with_w1_out]
        twin.insert_wire("W1")
        assert board.run("print(s(b))") == [[0]]
    finally:
        twin.insert_wire("W1")
        twin.set_faults(clear=[fault])
