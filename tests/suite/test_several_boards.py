"""``pytest -n N``: the on-board suite on N boards, one per pytest-xdist worker.

Each case runs ``pytest suite -n N`` in a subprocess (the real plugin, real
xdist workers) against twins over RFC2217, as a user runs it against boards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT = 300.0  # s per run: a generous deadline, never a timing assertion
SUITE_TESTS = 8

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_twins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list]:
    from hil.sim.twin import Twin

    twins = [Twin(tmp_path_factory.mktemp(f"board{i}")) for i in (1, 2)]
    try:
        for t in twins:
            t.start()
        yield twins
    finally:
        for t in twins:
            t.stop()


def run(tmp: Path, *args: str) -> tuple[subprocess.CompletedProcess, Path]:
    xml = tmp / "junit.xml"
    cmd = [sys.executable, "-m", "pytest", "suite", "-p", "no:cacheprovider", "-q",
           f"--junitxml={xml}", f"--hil-artifacts={tmp / 'artifacts'}",
           "--basetemp", str(tmp / "base"), *args]
    env = dict(os.environ, CI="1")  # never prompt
    for key in [k for k in env if k.startswith("HIL_")]:
        del env[key]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=RUN_TIMEOUT, check=False), xml


def boards_of_tests(xml: Path) -> list[tuple[str, str, str, str]]:
    """(test name, outcome, hil_port, board_mac) per testcase of the JUnit report."""
    out = []
    for case in ET.parse(xml).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        outcome = next((t for t in ("failure", "error", "skipped") if case.find(t) is not None),
                       "passed")
        out.append((case.get("name"), outcome, props.get("hil_port"), props.get("board_mac")))
    return out


def test_two_boards_each_run_the_whole_suite_and_one_junit_names_both(
        two_twins: list, tmp_path: Path) -> None:
    before = [t.state()["boot_count"] for t in two_twins]
    leds_before = [len(t.led_history()) for t in two_twins]
    proc, xml = run(tmp_path, "-n", "2", "--dist", "each",
                    f"--port={two_twins[0].url}", f"--port={two_twins[1].url}")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    cases = boards_of_tests(xml)
    assert len(cases) == 2 * SUITE_TESTS, cases
    for twin in two_twins:
        mine = [c for c in cases if c[2] == twin.url]
        assert len(mine) == SUITE_TESTS, cases  # every test of the suite on this board
        mac = twin.chip.identity.mac_str
        assert {c[3] for c in mine} == {mac}, cases
        assert f"{twin.url} (MAC {mac}) ran {SUITE_TESTS} test(s)" in out, out[-5000:]
    # each board's own state shows the suite ran there: the LED test blinked its LEDs
    for twin, n in zip(two_twins, leds_before):
        assert len(twin.led_history()) >= n + 6, twin.state()["led_history"][-6:]
    assert all(t.state()["boot_count"] >= b for t, b in zip(two_twins, before))
    props = {p.get("name"): p.get("value") for p in ET.parse(xml).getroot().iter("property")}
    assert {props["board1_hil_port"], props["board2_hil_port"]} == {t.url for t in two_twins}


def test_more_workers_than_boards_is_a_usage_error_before_anything_starts(
        two_twins: list, tmp_path: Path) -> None:
    boots = [t.state()["boot_count"] for t in two_twins]
    started = time.monotonic()
    proc, _ = run(tmp_path, "-n", "3", f"--port={two_twins[0].url}",
                  f"--port={two_twins[1].url}")
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "pytest -n 3 needs 3 boards" in proc.stderr and "run -n 2" in proc.stderr
    assert "created:" not in proc.stdout  # no worker was started
    assert [t.state()["boot_count"] for t in two_twins] == boots
    assert [t.state()["client"] for t in two_twins] == \
        [{"pty": False, "rfc2217": False}] * 2, "a board was opened"
    assert time.monotonic() - started < RUN_TIMEOUT


def test_several_ports_without_workers_or_one_port_twice_are_usage_errors(
        two_twins: list, tmp_path: Path) -> None:
    a, b = (t.url for t in two_twins)
    proc, _ = run(tmp_path, f"--port={a}", f"--port={b}")
    assert proc.returncode == 4 and "run pytest -n 2" in proc.stderr, proc.stderr
    proc, _ = run(tmp_path, "-n", "2", f"--port={a}", f"--port={a}")
    assert proc.returncode == 4 and "given more than once" in proc.stderr, proc.stderr


def test_no_port_starts_a_twin_per_worker_and_shares_the_suite_out(tmp_path: Path) -> None:
    proc, xml = run(tmp_path, "-n", "2")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    cases = boards_of_tests(xml)
    assert len(cases) == SUITE_TESTS and {c[1] for c in cases} == {"passed"}, cases
    ports = {c[2] for c in cases}
    macs = {c[3] for c in cases}
    assert len(ports) == 2 and all(p.startswith("rfc2217://127.0.0.1:") for p in ports), cases
    assert len(macs) == 2, cases  # two boards, each its own identity
    assert "hil boards" in out and "board 2 (gw1)" in out, out[-3000:]
