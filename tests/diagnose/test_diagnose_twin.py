"""`hil diagnose` on the twin: every catalogue fault, unattended and guided, through the real REPL.

The twin runs the real MicroPython unix port behind a real pty / RFC2217
socket; the diagnosis talks to it through hil.repl (mpremote's transport),
exactly as to a board. Verdicts must match docs/bench.md's "unattended verdict"
column: the fault, or `ambiguous` with exactly the named pair.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hil.bench import load_profile
from hil.cli import main
from hil.diagnose.guided import run_guided
from hil.repl import Repl

from .catalogue import unattended
from .conftest import TwinOperator

pytestmark = [pytest.mark.twin, pytest.mark.timeout(120)]

# The twin needs no 0.5 s windows: 50 reads 2 ms apart keep the test file short
# (the console-script test below runs with the defaults).
FAST = ["--period-ms", "2"]
PERIOD = 2
# The installed console script (pyproject [project.scripts]), else the module.
_SCRIPT = Path(sys.executable).with_name("hil")
HIL = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "hil.cli"]
PAIR_ROTATED = ["button-rotated", "short-to-gnd"]
PAIR_RAIL = ["broken-wire-rail-gnd", "split-rail"]
# docs/bench.md, "The fault catalogue": fault -> (unattended verdict, candidates)
UNATTENDED = unattended()
FAULTS = list(UNATTENDED)


def faults_of(name: str) -> tuple[str, ...]:
    return () if name == "ok" else (name,)


@pytest.mark.parametrize("fault", FAULTS, ids=FAULTS)
def test_auto_json_gives_the_catalogue_verdict(fault: str, twins, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    twin = twins.get(*faults_of(fault))
    svg = tmp_path / "bench.svg"
    code = main(["diagnose", "--port", twin.url, "--auto", "--json", "--picture", str(svg), *FAST])
    out = json.loads(capsys.readouterr().out)
    verdict, pair = UNATTENDED[fault]
    assert (out["verdict"], sorted(out["candidates"])) == (verdict, pair), out["evidence"]
    assert code == (0 if fault == "ok" else 1)
    assert out["repair"] and out["evidence"]
    if pair:
        assert out["next_step"]
    assert svg.exists() and out["picture"] == str(svg)
    landing = {"wrong-pin": "D2", "strap-pin": "D3"}.get(fault)
    if landing:  # "exact, naming D2" (docs/bench.md): the repair and the evidence name the pin
        assert f"Move W1 from {landing}" in out["repair"]
        assert any(f"dropped: {landing}" in s["reading"] for s in out["evidence"])
    assert twin.state()["shorts"] == []  # the probes never fought a pin


GUIDED_NO_PROBES = {f: f for f in FAULTS}


@pytest.mark.parametrize("fault", FAULTS, ids=FAULTS)
def test_guided_without_probes_reaches_the_fault(fault: str, twins, no_probes_profile: Path
                                                 ) -> None:
    """A bench with no probes: the scripted person does every step, the pins confirm it."""
    twin = twins.get(*faults_of(fault))
    op = TwinOperator(twin.control_url)
    with Repl(twin.url) as repl:
        run = run_guided(repl, load_profile(no_probes_profile), op, period_ms=PERIOD)
    assert run.verdict.verdict == fault, (op.prompts, run.verdict.evidence)
    assert run.verdict.candidates == ()
    assert twin.state()["shorts"] == []


@pytest.mark.parametrize("fault", PAIR_ROTATED + PAIR_RAIL, ids=PAIR_ROTATED + PAIR_RAIL)
def test_guided_resolves_the_ambiguous_pairs(fault: str, twins) -> None:
    """Reference bench: the probes narrow it to the pair, the operator's step ends it."""
    twin = twins.get(fault)
    op = TwinOperator(twin.control_url)
    with Repl(twin.url) as repl:
        run = run_guided(repl, load_profile(None), op, period_ms=PERIOD)
    assert run.verdict.verdict == fault, (op.prompts, run.verdict.evidence)
    telling = "pull W1 out" if fault in PAIR_ROTATED else "bridge the rail halves"
    assert any(telling in p for p in op.prompts)
    assert not any("press and hold" in p for p in op.prompts)  # the actuator answered it


@pytest.mark.parametrize("fault,skip", [
    ("ok", "press and hold the button"),
    ("dead-button", "connect a jumper from D5 straight to a GND pin"),
    ("split-rail", "unplug the jumper's end from the board's GND pin"),
    ("split-rail", "bridge the rail halves"),
    ("button-rotated", "pull W1 out"),
    ("wrong-pin", "connect a jumper from the button's row A"),
], ids=["skipped-press", "jumper-not-on-gnd", "jumper-not-moved", "no-bridge", "w1-still-in",
        "row-a-not-grounded"])
def test_a_skipped_operator_action_is_asked_again(fault: str, skip: str, twins,
                                                  no_probes_profile: Path) -> None:
    twin = twins.get(*faults_of(fault))
    op = TwinOperator(twin.control_url, skip=(skip,))
    with Repl(twin.url) as repl:
        run = run_guided(repl, load_profile(no_probes_profile), op, period_ms=PERIOD)
    assert run.verdict.verdict == fault, (op.prompts, run.verdict.evidence)
    assert sum(skip in p for p in op.prompts) >= 2, op.prompts  # the question came again
    assert not op.skip  # the botched step really happened


@pytest.mark.parametrize("fault,keyword,jumper", [
    ("broken-wire-button-rail", "connect a jumper from D5 straight to a GND pin", ("D5", "ROW_B")),
    ("split-rail", "connect a jumper from D5 straight to a GND pin", ("D5", "RAIL_FAR")),
    ("dead-button", "connect a jumper from the button's row A", ("ROW_B", "GND")),
], ids=["d5-to-row-b", "d5-to-dead-rail", "row-b-instead-of-row-a"])
def test_a_wrong_operator_action_is_asked_again(fault: str, keyword: str, jumper, twins,
                                                no_probes_profile: Path) -> None:
    twin = twins.get(fault)
    op = TwinOperator(twin.control_url, wrong={keyword: jumper})
    with Repl(twin.url) as repl:
        run = run_guided(repl, load_profile(no_probes_profile), op, period_ms=PERIOD)
    assert run.verdict.verdict == fault, (op.prompts, run.verdict.evidence)
    assert sum(keyword in p for p in op.prompts) >= 2, op.prompts
    assert not op.wrong


def test_guided_shows_live_readings(twins, no_probes_profile: Path) -> None:
    twin = twins.get("split-rail")
    op = TwinOperator(twin.control_url)
    with Repl(twin.url) as repl:
        run_guided(repl, load_profile(no_probes_profile), op, period_ms=PERIOD)
    assert op.live_reads >= 3


def test_blink_app_is_interrupted_and_running_again(twins, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    twin = twins.get("split-rail")
    app = Path(__file__).parents[2] / "firmware" / "main.py"
    with Repl(twin.url) as repl:
        repl.fs_write("/main.py", app.read_bytes())
        repl.soft_reset(run_main=True)  # the blink loop starts
    try:
        assert _blinks(twin), "the blink app did not start"
        code = main(["diagnose", "--port", twin.url, "--auto", "--json",
                     "--picture", str(tmp_path / "b.svg"), *FAST])
        out = json.loads(capsys.readouterr().out)
        assert code == 1 and out["verdict"] == "ambiguous"
        assert out["app_restarted"] is True
        assert _blinks(twin), "the app is not running again after the diagnosis"
    finally:
        with Repl(twin.url) as repl:
            repl.ensure_friendly_idle()
            repl.fs_remove("/main.py")


def _blinks(twin, within: float = 5.0) -> bool:
    """The LED history grows by at least two changes within ``within`` s (deadline, not sleep)."""
    start = len(twin.led_history())
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if len(twin.led_history()) >= start + 2:
            return True
        time.sleep(0.1)  # polling the twin's own record; there are no bytes to wait for
    return False


def test_real_console_script_text_output_over_the_pty(twins, tmp_path: Path) -> None:
    """The `hil` console script as a user runs it: no TTY, so unattended; the pty path."""
    twin = twins.get("broken-wire-button-rail")
    svg = tmp_path / "pic.svg"
    proc = subprocess.run(
        [*HIL, "diagnose", "--port", twin.pty, "--picture", str(svg)],
        check=False, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert "verdict: broken-wire-button-rail" in proc.stdout
    assert "repair: Replace W2" in proc.stdout
    assert f"picture: {svg}" in proc.stdout
    assert "<svg" in svg.read_text()


def test_missing_port_is_a_bench_error(tmp_path: Path) -> None:
    code = main(["diagnose", "--port", str(tmp_path / "nope"), "--auto"])
    assert code == 3


def test_missing_port_with_json_still_prints_json(tmp_path: Path) -> None:
    """`--json` is for scripts: a broken bench is a JSON verdict of null with the error."""
    proc = subprocess.run(
        [*HIL, "diagnose", "--port", str(tmp_path / "nope"), "--auto", "--json"],
        check=False, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3, proc.stderr
    data = json.loads(proc.stdout)
    assert data["verdict"] is None and str(tmp_path / "nope") in data["error"], data
    assert "plug the board in" in proc.stderr  # the person reading the log still sees why


@pytest.mark.parametrize("fault,bench", [("split-rail", None), ("broken-wire-d5", "no-probes")],
                         ids=["split-rail-reference", "broken-wire-d5-no-probes"])
def test_guided_cli_with_prompts_on_stdin(fault: str, bench: str | None, twins,
                                          no_probes_profile: Path, tmp_path: Path) -> None:
    """`hil diagnose --guided`: prompts on stderr, Enter on stdin; a scripted person acts."""
    import threading

    twin = twins.get(fault)
    op = TwinOperator(twin.control_url)
    cmd = [sys.executable, "-m", "hil.cli", "diagnose", "--port", twin.url, "--guided", "--json",
           "--picture", str(tmp_path / "g.svg"), *FAST]
    if bench:
        cmd += ["--bench", str(no_probes_profile)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, bufsize=1)
    watchdog = threading.Timer(90.0, proc.kill)  # the deadline of the whole dialogue
    watchdog.start()
    try:
        assert proc.stderr is not None and proc.stdin is not None
        for line in proc.stderr:
            if line.startswith("["):  # "[3] connect a jumper from D5 ..."
                op.say(line.split("] ", 1)[1].strip())
            elif "press Enter when done" in line:
                proc.stdin.write("\n")
                proc.stdin.flush()
        out = proc.stdout.read() if proc.stdout else ""
        code = proc.wait(timeout=10)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    data = json.loads(out)
    assert (code, data["verdict"], data["mode"]) == (1, fault, "guided"), op.prompts
    assert op.prompts
