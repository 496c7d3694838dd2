"""The suite's on-board measurement agrees with the twin's own LED record.

The suite never reads the twin's record (a real board has none); this test
uses it to check the measuring path itself: the Timer(-1) sampler, its read
back, and the analysis. Done in-process with the plugin's pieces over a real
RFC2217 connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hil_pytest.board import Board
from hil_pytest.measure import run_app
from hil_pytest.options import HilOptions
from hil_pytest.session import BenchSession

from hil.waveform import check_blink

pytestmark = pytest.mark.slow  # starts MicroPython / tool processes

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def board_on_twin(tmp_path: Path) -> Iterator[tuple[Board, object]]:
    try:
        from hil.sim.twin import Twin
    except ImportError as e:
        pytest.skip(f"the virtual bench (hil.sim.twin) is not available: {e}")
    twin = Twin(tmp_path / "twin")
    twin.start()
    options = HilOptions(port=twin.url, baud=115200, firmware=None, flash="never", bench=None,
                         app_dir=ROOT / "firmware", notes=())
    bench = BenchSession(options, tmp_path / "hil")
    try:
        bench.deploy()
        yield Board(bench.known_state(), bench.profile, bench, tmp_path / "art"), twin
    finally:
        bench.close()
        twin.stop()


def test_sampler_trace_matches_the_twins_led_record(board_on_twin) -> None:
    board, twin = board_on_twin
    gpio = board.profile.led.gpio
    before = len([e for e in twin.led_history() if e["gpio"] == gpio])
    run = run_app(board, window_s=5.0)  # >= 4 half periods even if a loaded host stalls the twin
    assert not run.returned
    measured = run.trace.select((0, 1))
    assert check_blink(measured, half_cycle_s=0.5, tolerance_s=0.1,
                       active_low=(True, True)).ok
    # The twin's record of the same LED over the same run: same levels in the
    # same order, and the same half periods. The record is on the host's clock;
    # the sampler reads the board's, which a loaded host's stalls do not advance
    # (hil/sim/firmware/hal.py): each stall the twin reports is taken out of the
    # record's times after it began.
    record = [e for e in twin.led_history() if e["gpio"] == gpio][before:]
    scale = 1000.0 if record and float(record[-1]["t"]) - float(record[0]["t"]) > 100 else 1.0
    stalls = twin.state()["stalls"]["recent"]

    def board_time(t: float) -> float:
        return t - sum(s["ms"] / 1000 for s in stalls if s["t"] < t)

    record = [{**e, "t": board_time(float(e["t"]) / scale) * scale} for e in record]
    # Glitches shorter than a sample period (Pin(2, OUT) drives the latch's 0
    # for an instant before led.on()) are invisible to a sampler: drop them.
    steady = [e for e, nxt in zip(record, record[1:] + [None])
              if nxt is None or (float(nxt["t"]) - float(e["t"])) / scale > 0.02]
    levels = [int(e["level"]) for e in steady]
    times = [float(e["t"]) / scale for e in steady]
    edges = measured.edges(0)
    twin_edges = [(t, v) for t, v, prev in zip(times[1:], levels[1:], levels) if v != prev]
    assert [v for _, v in edges] == [v for _, v in twin_edges][:len(edges)], (edges, record)
    ours = measured.half_periods(0)
    theirs = [b[0] - a[0] for a, b in zip(twin_edges, twin_edges[1:])][:len(ours)]
    assert len(theirs) >= 4
    for a, b in zip(ours, theirs):
        assert abs(a - b) < 0.05, (ours, theirs)
