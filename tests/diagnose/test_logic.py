"""decide(): one row per catalogue fault (docs/bench.md), ambiguous pairs, noisy and partial inputs."""

from __future__ import annotations

import pytest

from hil.diagnose.logic import (
    FAULT_NAMES,
    LedReadback,
    Readings,
    Sample,
    decide,
    explain_button_failure,
)

from .catalogue import rows

N = 50
ONE, ZERO = Sample((1,) * N), Sample((0,) * N)
RANDOM = Sample.of("0110100111010010110100101101001011010011101001011")
OK_LEDS = (LedReadback("D4", 2, 0, 1), LedReadback("D0", 16, 0, 1))
STUCK_LEDS = (LedReadback("D4", 2, 1, 1), LedReadback("D0", 16, 0, 1))


def bench(idle=ONE, stim=ZERO, dropped=(), p2=ZERO, p3=ZERO, pressed=ZERO, leds=OK_LEDS,
          **extra) -> Readings:
    return Readings(d5_idle=idle, d5_stimulus=stim, dropped=dropped, p2=p2, p3=p3,
                    d5_pressed=pressed, leds=leds, **extra)


# The catalogue table (docs/bench.md): readings -> unattended verdict, per fault.
ROWS = {f: (r.readings(), r.verdict, r.candidates) for f, r in rows().items()}


def test_every_fault_has_a_row() -> None:
    assert set(ROWS) == set(FAULT_NAMES) | {"ok"}


@pytest.mark.parametrize("fault", list(ROWS), ids=list(ROWS))
def test_catalogue_row(fault: str) -> None:
    readings, verdict, pair = ROWS[fault]
    v = decide(readings)
    assert v.verdict == verdict
    assert set(v.candidates) == set(pair)
    assert v.repair
    assert v.to_json()["verdict"] == verdict
    if pair:
        assert v.next_step


def test_ambiguous_next_steps_name_the_telling_action() -> None:
    assert "pull W1 out" in decide(bench(idle=ZERO)).next_step
    assert "bridge the rail" in decide(bench(p2=ONE, p3=ONE, pressed=ONE)).next_step


@pytest.mark.parametrize("w1_pulled,fault", [(ZERO, "short-to-gnd"), (ONE, "button-rotated")],
                         ids=["still-0", "back-to-1"])
def test_operator_step_resolves_rotated_vs_short(w1_pulled: Sample, fault: str) -> None:
    assert decide(bench(idle=ZERO, d5_w1_pulled=w1_pulled)).verdict == fault


@pytest.mark.parametrize("bridged,fault", [(ZERO, "split-rail"), (ONE, "broken-wire-rail-gnd")],
                         ids=["bridge-fixes", "bridge-does-not"])
def test_operator_step_resolves_rail(bridged: Sample, fault: str) -> None:
    r = bench(p2=ONE, p3=ONE, pressed=ONE, rail_bridged=bridged)
    assert decide(r).verdict == fault


def test_operator_jumpers_stand_in_for_probes() -> None:
    # No probes at all: the chapter's jumper test done by a person.
    r = Readings(d5_idle=ONE, d5_pressed=ONE, d5_jumper_board_gnd=ZERO, d5_jumper_rail_far=ZERO,
                 d5_jumper_row_b=ONE)
    assert decide(r).verdict == "broken-wire-button-rail"


def test_no_press_source_is_honest() -> None:
    v = decide(bench(pressed=None))
    assert v.verdict == "ambiguous"
    assert {"ok", "dead-button", "intermittent"} == set(v.candidates)
    assert v.next_step == "press and hold the button"


def test_rare_glitch_at_idle_is_not_called_no_pullup() -> None:
    glitch = Sample((1,) * 49 + (0,))
    assert not glitch.floating and glitch.flickers
    v = decide(bench(idle=glitch))
    assert v.verdict != "no-pullup"           # never a wrong single verdict
    assert v.verdict in ("ok", "ambiguous")


def test_readings_no_single_fault_explains_are_ambiguous() -> None:
    # P1 finds W1 broken and P3 finds the rail dead: two faults at once.
    v = decide(bench(stim=ONE, p2=ONE, p3=ONE, pressed=ONE))
    assert v.verdict == "ambiguous"
    assert v.candidates and "fit no single fault" in v.repair


def test_stuck_led_with_a_button_fault_reports_both() -> None:
    v = decide(bench(p2=ONE, pressed=ONE, leds=STUCK_LEDS))
    assert v.verdict == "broken-wire-button-rail" and v.also == ("stuck-led",)


def test_sample_kinds() -> None:
    assert ONE.stable == 1 and ZERO.stable == 0 and RANDOM.stable is None
    assert RANDOM.flickers and RANDOM.floating and not ONE.flickers
    assert Sample.of(b"\x00\x01").values == (0, 1)
    with pytest.raises(ValueError):
        Sample(())


def test_explain_button_failure_names_the_fault() -> None:
    assert "split-rail" in explain_button_failure(bench(p2=ONE, p3=ONE, pressed=ONE))
    assert "dead-button" in explain_button_failure(bench(pressed=ONE))
