"""ci/nightly as the nightly job runs it, against twins these tests start (done-when of issue 9).

Each case runs the real ci/nightly (a subprocess) -> pytest with the hil plugin ->
esptool/REPL over RFC2217 -> the twin's MicroPython. Slow: each is a suite run.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .conftest import NightlyRun, nightly_cmd, nightly_env

pytestmark = pytest.mark.slow


def test_healthy_twin(twin, nightly) -> None:
    run: NightlyRun = nightly(twin.url)
    assert run.returncode == 0, run.describe()
    r = run.reports
    # junit.xml: parses, every test passed, waveforms and transcripts attached
    root = ET.parse(r / "junit.xml").getroot()
    cases = list(root.iter("testcase"))
    assert len(cases) >= 6 and not root.findall(".//failure") and not root.findall(".//error")
    out = "\n".join(el.text or "" for el in root.iter("system-out"))
    assert "[[ATTACHMENT|" in out and "leds.svg]]" in out and "serial.log]]" in out
    log = (r / "pytest.log").read_text()
    assert "warnings summary" not in log, log[-3000:]
    # report.html: self-contained, the waveform pictures inline, the bench facts
    page = (r / "report.html").read_text()
    assert page.count("data:image/png;base64,") + page.count("data:image/svg+xml;base64,") >= 2
    record = run.json("hil-run.json")
    assert record["facts"]["board_mac"] in page
    assert "Nightly result: exit 0" in page and "Bench health" in page
    # a serial transcript per test: both directions, control bytes shown
    for nodeid in record["outcomes"]:
        transcript = (r / nodeid.rpartition("::")[2] / "serial.log").read_text()
        assert " -> " in transcript and " <- " in transcript, nodeid
    assert "<^D>" in (r / "test_files_match" / "serial.log").read_text()
    # diagnosis.json: valid, nothing to diagnose
    assert run.json("diagnosis.json")["verdict"] is None
    # one new history line with the night's figures
    (line,) = run.history_lines()
    assert line["exit"] == 0 and line["board"] == record["facts"]["board_mac"]
    assert line["firmware_sha256"] == record["facts"]["firmware_sha256"]
    assert set(line["tests"].values()) <= {"passed", "skipped"}
    for figure in ("led_half_period_s.D4", "released_reads.D5", "repl_round_trip_ms",
                   "press_to_stop_s", "short_press", "ground_reads.D7", "rail_reads.D1"):
        assert figure in line["figures"], figure


@pytest.mark.twin(faults=["split-rail"])
def test_split_rail_is_the_app_failing_with_an_ambiguous_diagnosis(twin, nightly) -> None:
    run = nightly(twin.url, "--", "-k", "jumper or ground")
    assert run.returncode == 1, run.describe()
    d = run.json("diagnosis.json")
    assert d["verdict"] == "ambiguous", d
    assert set(d["candidates"]) == {"broken-wire-rail-gnd", "split-rail"}
    assert Path(d["picture"]).parent == run.reports  # not ./hil-diagnose.svg
    page = (run.reports / "report.html").read_text()
    assert "Diagnosis: ambiguous" in page and "split-rail" in page
    assert "data:image/svg+xml;base64," in page  # the bench picture, inline
    assert "bridge" in page  # the repair sentence
    assert not (run.reports.parent / "hil-diagnose.svg").exists()


def test_no_board(tmp_path: Path, nightly) -> None:
    port = str(tmp_path / "no-such-tty")
    run = nightly(port)
    assert run.returncode == 3, run.describe()
    d = run.json("diagnosis.json")
    assert d["verdict"] is None and port in d["error"]
    last = run.stderr.strip().splitlines()[-1]
    assert port in last and "BENCH BROKEN" in last and "Traceback" not in run.stderr
    assert run.json("hil-run.json")["bench_error"]["kind"] == "port-missing"


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def test_twin_killed_mid_run_is_the_bench(tmp_path: Path) -> None:
    sim = subprocess.Popen([sys.executable, "-m", "hil.cli", "sim", "--state",
                            str(tmp_path / "sim"), "--json"], stdout=subprocess.PIPE, text=True,
                           start_new_session=True)
    job = None
    orphans: list[int] = []
    try:
        assert sim.stdout is not None
        url = json.loads(sim.stdout.readline())["url"]
        reports, history = tmp_path / "reports", tmp_path / "history.jsonl"
        job = subprocess.Popen(nightly_cmd(url, reports, history), cwd=tmp_path,
                               env=nightly_env(tmp_path), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        started = reports / "test_leds_blink_in_antiphase" / "serial.log"
        deadline = time.monotonic() + 300
        while not started.exists() and job.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert started.exists(), "the LED test never started"
        orphans = _children(sim.pid)
        sim.send_signal(signal.SIGKILL)  # the board is gone mid-test
        sim.wait()
        out, err = job.communicate(timeout=300)
        run = NightlyRun(job.returncode, out, err, reports, history)
        assert run.returncode == 3, run.describe()
        record = run.json("hil-run.json")
        assert record["bench_error"] is not None
        assert record["failed"] == []  # no app test blamed
        assert "BENCH BROKEN" in err.strip().splitlines()[-1]
        assert run.json("diagnosis.json")["error"]
        assert run.history_lines()[-1]["exit"] == 3
    finally:
        if job is not None and job.poll() is None:
            job.kill()
            job.wait()
        if sim.poll() is None:
            sim.kill()
            sim.wait()
        for pid in orphans + _children(sim.pid):  # the twin's interpreter
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def test_two_jobs_on_one_board(twin, tmp_path: Path) -> None:
    env = nightly_env(tmp_path)
    first = subprocess.Popen(nightly_cmd(twin.url, tmp_path / "r1", tmp_path / "h.jsonl", "--",
                                         "-k", "leds"), cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    waiter = None
    try:
        holder = tmp_path / "locks"
        deadline = time.monotonic() + 120
        while not list(holder.glob("*.holder.json")) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert list(holder.glob("*.holder.json")), "the first job never took the lock"
        # a second job that waits (long timeout) ...
        waiter = subprocess.Popen(nightly_cmd(twin.url, tmp_path / "r2", tmp_path / "h.jsonl",
                                              "--", "-k", "leds"), cwd=tmp_path, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # ... and a third with a short lock timeout, which gives up naming the holder
        impatient = subprocess.run(
            nightly_cmd(twin.url, tmp_path / "r3", tmp_path / "h3.jsonl", "--lock-timeout",
                        "1", "--", "-k", "leds"),
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert impatient.returncode == 3, impatient.stderr
        last = impatient.stderr.strip().splitlines()[-1]
        assert f"pid {first.pid} on {socket.gethostname()} since" in last, impatient.stderr
        assert json.loads((tmp_path / "r3" / "diagnosis.json").read_text())["verdict"] is None
        out1, err1 = first.communicate(timeout=400)
        out2, err2 = waiter.communicate(timeout=400)
        assert first.returncode == 0, err1 + out1[-3000:]
        assert waiter.returncode == 0, err2 + out2[-3000:]
        assert f"in use by pid {first.pid}" in err2  # it waited for the first
    finally:
        for p in (first, waiter):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()


def test_new_flicker_is_flagged_after_healthy_nights(twin, tmp_path: Path, nightly) -> None:
    history = tmp_path / "history.jsonl"
    select = ("--", "-k", "button_reads or jumper")  # the tests that read D5 released
    for i in range(2):  # two real healthy nights ...
        run = nightly(twin.url, *select, name=f"night{i}", history=history)
        assert run.returncode == 0, run.describe()
    lines = history.read_text().splitlines()
    assert len(lines) == 2
    # ... and three more like them (synthesized from the real ones to keep this test short)
    history.write_text("\n".join(lines + lines + lines[:1]) + "\n")
    twin.set_faults(["intermittent:0.05"])  # 5% of released reads bounce to 0
    run = nightly(twin.url, *select, name="night5", history=history)
    assert run.returncode in (0, 1), run.describe()  # the app may fail; the bench is sound
    flicker = "D5 read 0 in "
    never = "released reads tonight, never in the 5 nights before: a contact on W1 or the " \
            "button is wearing"
    page = (run.reports / "report.html").read_text()
    assert flicker in page and never in page, page[-3000:]
    proc = subprocess.run([sys.executable, "-m", "hil.cli", "health", "--history",
                           str(history)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert flicker in proc.stdout and never in proc.stdout, proc.stdout


def test_cable_pulled_mid_run_is_retried_once(twin, tmp_path: Path) -> None:
    """The port vanishes and comes back (link fault unplug): one retry after a hard reset."""
    reports, history = tmp_path / "reports", tmp_path / "history.jsonl"
    job = subprocess.Popen(nightly_cmd(twin.url, reports, history, "--", "-k", "leds"),
                           cwd=tmp_path, env=nightly_env(tmp_path), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        started = reports / "test_leds_blink_in_antiphase" / "serial.log"
        deadline = time.monotonic() + 300
        while job.poll() is None and time.monotonic() < deadline and not (
                started.exists() and "s_start()" in started.read_text()):
            time.sleep(0.1)
        assert "s_start()" in started.read_text(), "the app never started under the sampler"
        twin.set_link_faults(["unplug:0.3"])  # the cable is pulled for a second, once
        while twin.link_state()["unplugs"] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        twin.set_link_faults(clear=["unplug"])
        out, err = job.communicate(timeout=400)
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()
    run = NightlyRun(job.returncode, out, err, reports, history)
    assert run.returncode == 0, run.describe()
    summary = run.json("nightly.json")
    assert summary["retried"] and "port-gone" in summary["retried"]
    first = json.loads((reports / "attempt-1" / "hil-run.json").read_text())
    assert first["bench_error"]["kind"] == "port-gone" and first["failed"] == []
    assert "Retried once" in (reports / "report.html").read_text()
    (line,) = run.history_lines()
    assert line["exit"] == 0 and "port-gone" in line["retried"]
