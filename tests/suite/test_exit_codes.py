"""The exit-code contract (hil/exitcodes.py), through the commands a user runs.

0 all passed; 1 the app failed at least one test and the bench was sound; 3
the bench is broken. `pytest` and `hil diagnose` run as subprocesses.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from suite_runner import ROOT, clean_env, run_pytest

pytestmark = pytest.mark.slow  # runs pytest in subprocesses

RUN_TIMEOUT = 240.0  # s: a generous deadline, never a timing assertion
HIL = [sys.executable, "-m", "hil.cli"]
BUTTON = "test_button_reads_released_and_pressed"
GROUND = "test_ground_path"


def pytest_suite(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_pytest("suite", "-q", "--basetemp", str(tmp / "base"), *args,
                      env=clean_env(ci=True, drop=()), timeout=RUN_TIMEOUT)


def test_pytest_on_a_port_that_does_not_exist_exits_3(tmp_path: Path) -> None:
    proc = pytest_suite(tmp_path, "--port", "/dev/ttyNOPE")  # two words, as typed
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "/dev/ttyNOPE" in proc.stdout, proc.stdout
    assert not re.search(r"\d+ failed", proc.stdout), proc.stdout  # no app test failed


def test_hil_diagnose_on_a_port_that_does_not_exist_exits_3(tmp_path: Path) -> None:
    proc = subprocess.run([*HIL, "diagnose", "--port", str(tmp_path / "ttyNOPE"), "--auto",
                           "--picture", "none"], capture_output=True, text=True,
                          timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL, check=False)
    assert proc.returncode == 3, proc.stderr
    assert "ttyNOPE" in proc.stderr


@pytest.mark.parametrize("argv", [["pytest", "--help"], ["hil", "--help"],
                                  ["hil", "diagnose", "--help"]], ids=" ".join)
def test_help_states_the_contract(argv: list[str]) -> None:
    cmd = ([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *argv[1:]]
           if argv[0] == "pytest" else [*HIL, *argv[1:]])
    out = " ".join(subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                                  timeout=60, check=False).stdout.split())
    assert "0 all passed" in out or "0 the bench is healthy" in out, out
    assert "3 the bench is broken" in out, out


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from hil.sim.twin import Twin

    twin = Twin(tmp_path_factory.mktemp("exit-twin"))
    twin.start()
    try:
        yield twin
    finally:
        twin.stop()


def app_with_main(tmp: Path, main_py: str) -> Path:
    """A copy of the project's app (firmware/) whose main.py is ``main_py``."""
    app = tmp / "app"
    shutil.copytree(ROOT / "firmware", app)
    (app / "main.py").write_text(main_py)
    return app


@pytest.mark.slow
def test_pytest_on_a_twin_with_a_dead_button_exits_1(twin, tmp_path: Path) -> None:
    twin.set_faults(set=["dead-button"])
    try:
        proc = pytest_suite(tmp_path, "--port=" + twin.url, "-k", f"{BUTTON} or {GROUND}")
    finally:
        twin.set_faults(clear=["dead-button"])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 failed, 1 passed" in proc.stdout, proc.stdout


@pytest.mark.slow
def test_a_main_py_that_does_not_compile_is_the_apps_failure_exit_1(twin,
                                                                     tmp_path: Path) -> None:
    app = app_with_main(tmp_path, "def oops(:\n    pass\n")
    proc = pytest_suite(tmp_path, "--port=" + twin.url, "--app-dir=" + str(app), "-k", GROUND)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 failed" in proc.stdout and "error" not in proc.stdout.splitlines()[-1], proc.stdout
    assert "main.py:1" in proc.stdout, proc.stdout


@pytest.mark.slow
def test_a_main_py_that_raises_at_import_is_the_apps_failure_exit_1(twin,
                                                                    tmp_path: Path) -> None:
    app = app_with_main(tmp_path, "raise ValueError('the app is broken')\n")
    proc = pytest_suite(tmp_path, "--port=" + twin.url, "--app-dir=" + str(app), "-k",
                        "test_leds_blink_in_antiphase")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 failed" in proc.stdout and "the app is broken" in proc.stdout, proc.stdout
