"""The breadboard's electrical model, in process (no IO): nets, pulls, shorts, LEDs."""

from __future__ import annotations

import pytest

from hil.sim.breadboard import Breadboard
from hil.sim.errors import SimUsageError
from hil.sim.faults import FAULTS, UnknownFaultError

D0, D1, D2, D3, D4, D5, D6, D7, D8 = 16, 5, 4, 0, 2, 14, 12, 13, 15


def bench(*faults: str) -> Breadboard:
    """The harness's unattended setup: button and sense probes as pull-up inputs, P1 released."""
    bb = Breadboard(faults, seed=1)
    for g in (D5, D7, D1, D2):
        bb.configure(g, "in", True, None)
    bb.configure(D6, "od", False, 1)
    return bb


def test_ok_bench_reads_the_catalogue_ok_row() -> None:
    bb = bench()
    assert bb.read(D5) == 1
    bb.write(D6, 0)
    assert bb.read(D5) == 0
    bb.write(D6, 1)
    assert (bb.read(D7), bb.read(D1)) == (0, 0)
    bb.press(True)
    assert bb.read(D5) == 0
    bb.press(False)
    assert bb.read(D5) == 1


def test_gpio16_has_no_pull_and_floats() -> None:
    bb = Breadboard(seed=3)
    bb.configure(D0, "in", True, None)
    assert {bb.read(D0) for _ in range(64)} == {0, 1}


def test_board_straps_read_as_the_rom_samples_them() -> None:
    bb = Breadboard()
    bb.chip_reset()
    assert (bb.strap_level(D8), bb.strap_level(D3), bb.strap_level(D4)) == (0, 1, 1)


def test_flash_button_style_jumper_grounds_gpio0() -> None:
    bb = Breadboard()
    bb.wire("D3", "GND", True)
    assert bb.strap_level(D3) == 0
    bb.wire("D3", "GND", False)
    assert bb.strap_level(D3) == 1


def test_operator_jumper_d5_to_gnd_reads_zero_and_removal_restores() -> None:
    bb = bench()
    bb.wire("D5", "GND", True)
    assert bb.read(D5) == 0
    assert bb.state()["wires"] == [{"a": "D5", "b": "GND"}]
    bb.wire("D5", "GND", False)
    assert bb.read(D5) == 1


def test_jumper_to_far_rail_with_split_rail_does_not_ground() -> None:
    bb = bench("split-rail")
    bb.wire("D5", "RAIL_FAR", True)
    assert bb.read(D5) == 1
    bb.wire("D5", "RAIL_FAR", False)
    bb.wire("D5", "RAIL_NEAR", True)
    assert bb.read(D5) == 0


def test_push_pull_high_against_pressed_button_is_a_recorded_short() -> None:
    bb = bench()
    bb.configure(D6, "out", False, 1)  # the mistake docs/bench.md warns about
    assert bb.state()["shorts"] == []
    bb.press(True)
    assert bb.read(D6) == 0
    shorts = bb.state()["shorts"]
    assert len(shorts) == 1
    assert shorts[0]["high"] == ["D6"] and "GND" in shorts[0]["pins"]
    assert isinstance(shorts[0]["t"], float)


def test_solenoid_on_d8_presses_the_button() -> None:
    bb = bench()
    bb.configure(D8, "out", False, 1)
    assert bb.read(D5) == 0
    bb.write(D8, 0)
    assert bb.read(D5) == 1


def test_led_history_records_changes_with_timestamps() -> None:
    bb = Breadboard()
    bb.configure(D4, "out", False, 1)
    bb.write(D4, 0)
    bb.write(D4, 0)  # no change, no entry
    bb.write(D4, 1)
    levels = [(e["gpio"], e["level"]) for e in bb.led_history() if e["gpio"] == D4]
    assert levels == [(D4, 1), (D4, 0), (D4, 1)]
    times = [e["t"] for e in bb.led_history()]
    assert times == sorted(times)


def test_stuck_led_reads_back_one() -> None:
    bb = Breadboard(["stuck-led"])
    bb.configure(D4, "out", False, 0)
    assert bb.read(D4) == 1
    bb.set_faults(clear=["stuck-led"])
    assert bb.read(D4) == 0


def test_intermittent_flickers_while_pressed() -> None:
    bb = bench("intermittent")
    bb.press(True)
    assert {bb.read(D5) for _ in range(64)} == {0, 1}


def test_unknown_fault_lists_valid_names() -> None:
    with pytest.raises(UnknownFaultError) as e:
        Breadboard(["bent-pin"])
    assert "split-rail" in str(e.value)
    bb = Breadboard()
    with pytest.raises(UnknownFaultError):
        bb.set_faults(["nope"])


def test_unknown_net_and_pad_are_usage_errors() -> None:
    bb = Breadboard()
    with pytest.raises(SimUsageError, match="valid nets"):
        bb.wire("D9", "GND")
    with pytest.raises(SimUsageError):
        bb.read(6)


def test_every_fault_has_a_one_line_description() -> None:
    assert len(FAULTS) == 12
    for f in FAULTS.values():
        assert f.description and "\n" not in f.description


def test_pulled_bench_wires_change_the_nets_and_put_back_restores() -> None:
    bb = bench()  # the ok bench, probes as inputs with pull-ups
    bb.wire("W2", connect=False)
    assert bb.read(13) == 1  # P2: row B no longer reaches the rail
    bb.wire("W2", connect=True)
    assert bb.read(13) == 0
    bb.bench_wire("BRIDGE", False)
    assert bb.read(5) == 1  # P3: the far half floats, as with split-rail
    bb.bench_wire("BRIDGE", True)
    bb.bench_wire("W3", False)
    assert (bb.read(5), bb.read(13)) == (1, 1)
    bb.bench_wire("W3", True)
    assert (bb.read(5), bb.read(13)) == (0, 0)
    assert bb.state()["bench_wires"] == {"W1": True, "W2": True, "W3": True, "BRIDGE": True}


@pytest.mark.parametrize("fault, w1_out", [("button-rotated", 1), ("short-to-gnd", 0)])
def test_w1_pulled_out_separates_button_rotated_from_short_to_gnd(fault: str, w1_out: int) -> None:
    bb = bench(fault)
    assert bb.read(14) == 0
    bb.bench_wire("W1", False)
    assert bb.read(14) == w1_out
    bb.bench_wire("W1", True)
    assert bb.read(14) == 0


def test_putting_back_a_broken_wire_keeps_it_broken_and_unknown_wire_is_an_error() -> None:
    bb = bench("broken-wire-d5")
    bb.bench_wire("W1", False)
    bb.bench_wire("W1", True)
    bb.configure(12, "od", False, 0)  # P1 pulls row A low
    assert bb.read(14) == 1
    with pytest.raises(SimUsageError, match="W1, W2, W3, BRIDGE"):
        bb.bench_wire("W9", False)
