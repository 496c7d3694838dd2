"""The blink analysis and the report's waveform files (pure, no IO but files)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hil.waveform import Trace, check_blink, plot, write_vcd

NAMES = ("D4/GPIO2", "D0/GPIO16", "D5/GPIO14")


def blink(half_ms: int = 500, end_ms: int = 3500, jitter_ms: int = 0, in_phase: bool = False,
          skew_ms: int = 0) -> Trace:
    """The app's pattern: bit0 and bit1 opposite, the button (bit2) released."""
    changes = []
    t, state = 0, 0
    while t < end_ms:
        a = state
        b = a if in_phase else 1 - a
        changes.append((t, a | (b << 1) | 4))
        if skew_ms and t:
            changes[-1] = (t, (1 - a) | ((1 - b if not in_phase else 1 - a) << 1) | 4)
            changes.append((t + skew_ms, a | (b << 1) | 4))
        state = 1 - state
        t += half_ms + (jitter_ms if state else -jitter_ms)
    return Trace(NAMES, tuple(changes), end_ms, samples=700)


def check(trace: Trace):
    return check_blink(trace, half_cycle_s=0.5, tolerance_s=0.1,
                       active_low=(True, True, False))


def test_a_healthy_blink_passes() -> None:
    result = check(Trace(NAMES[:2], tuple((c[0], c[1] & 3) for c in blink().changes), 3500))
    assert result.ok, result.problems
    assert all(abs(h - 0.5) < 1e-9 for h in result.half_periods[0])


def test_jitter_within_tolerance_passes_and_beyond_fails() -> None:
    def two(tr: Trace) -> Trace:
        return Trace(NAMES[:2], tuple((t, m & 3) for t, m in tr.changes), tr.end_ms)

    assert check(two(blink(jitter_ms=60))).ok
    bad = check(two(blink(jitter_ms=150)))
    assert not bad.ok
    assert "outside 0.50 +/- 0.10 s" in bad.problems[0]


def test_in_phase_leds_fail_as_not_antiphase() -> None:
    two = Trace(NAMES[:2], tuple((t, m & 3) for t, m in blink(in_phase=True).changes), 3500)
    result = check(two)
    assert not result.ok
    assert any("not antiphase" in p for p in result.problems)


def test_switching_skew_below_tolerance_is_still_antiphase() -> None:
    # The app writes one LED, then the other: a sampler can catch both equal
    # for a moment at every switch.
    two = Trace(NAMES[:2], tuple((t, m & 3) for t, m in blink(skew_ms=20).changes), 3500)
    assert check(two).ok


def test_a_stuck_led_is_named_with_its_level() -> None:
    changes = tuple((t, (m & 2) | 1) for t, m in blink().changes)  # bit0 stuck at 1
    result = check(Trace(NAMES[:2], changes, 3500))
    assert any(p.startswith("LED D4/GPIO2 never changed") and "1 (dark)" in p
               for p in result.problems), result.problems


def test_wrong_period_fails() -> None:
    two = Trace(NAMES[:2], tuple((t, m & 3) for t, m in blink(half_ms=250).changes), 3500)
    assert not check(two).ok


def test_plot_and_vcd_are_written(tmp_path: Path) -> None:
    trace = blink()
    trace = Trace(trace.names, trace.changes, trace.end_ms, marks=(("press", 1500),))
    out = plot(trace, tmp_path / "w.svg", title="blink & press")
    svg = ET.parse(out).getroot()  # well-formed SVG
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "blink & press" in texts and "press" in texts
    assert all(name in texts for name in trace.names)
    assert "time since sampling started (s)" in texts
    # one step line per channel; each level change is a vertical step (same x twice)
    lines = [p.get("points").split() for p in svg.iter("{http://www.w3.org/2000/svg}polyline")]
    assert len(lines) == len(trace.names)
    d4 = [tuple(map(float, pt.split(","))) for pt in lines[0]]
    verticals = sum(1 for a, b in zip(d4, d4[1:]) if a[0] == b[0] and a[1] != b[1])
    assert verticals == len(trace.edges(0)), (verticals, trace.edges(0))
    assert d4[-1][0] == 900 - 20  # drawn to the end of sampling
    with pytest.raises(ValueError, match="SVG"):
        plot(trace, tmp_path / "w.png")
    vcd = write_vcd(trace, tmp_path / "w.vcd").read_text()
    assert "$var wire 1" in vcd and "D4_GPIO2" in vcd
    assert "#3500" in vcd  # closed at the end of sampling


def test_rest_levels_before_the_app_starts_do_not_count() -> None:
    """Both pins read 1 (inputs at rest) until the app's first write."""
    changes = ((0, 3),) + tuple((t + 5, m & 3) for t, m in blink().changes)
    assert check(Trace(NAMES[:2], changes, 3505)).ok


def test_the_apps_pin_setup_before_its_first_write_does_not_count() -> None:
    """Pin(OUT) drives 0, the loop's first led.on() 37 ms later: set-up, not a half cycle."""
    loop = tuple((42 + 500 * i, 0b01 if i % 2 == 0 else 0b10) for i in range(7))
    changes = ((0, 0b11), (5, 0b00)) + loop  # rest (inputs read 1), both driven 0, the loop
    result = check(Trace(NAMES[:2], changes, 3542))
    assert result.ok, result.problems
    assert result.half_periods[0][0] == 0.5  # D4 from the loop's first led.on() at 42 ms
    flicker = ((0, 0b11), (5, 0b00), (20, 0b01), (35, 0b00)) + loop
    assert not check(Trace(NAMES[:2], flicker, 3542)).ok  # more than one short interval


def test_select_keeps_only_the_named_channels() -> None:
    trace = blink()
    leds = trace.select((0, 1))
    assert leds.names == NAMES[:2]
    assert all(m < 4 for _, m in leds.changes)
    assert check(leds).ok
