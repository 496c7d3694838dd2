"""How a broken bench is reported: the first error in full (cause and fix, no
traceback), later tests one line pointing at it, the summary naming the real
first cause; missing files are usage errors before anything starts; a second
reader on the port is the project's PortBusyError, not a raw pyserial error.

Each case runs ``pytest suite`` in a subprocess, as a user does.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from suite_runner import run_pytest

pytestmark = pytest.mark.slow  # runs pytest in subprocesses

NOPE = "/dev/ttyHIL-NOPE"


def run_suite(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    return run_pytest("suite", "--basetemp", str(tmp / "base"), *args)


def test_a_missing_port_says_it_once_in_under_60_lines(tmp_path: Path) -> None:
    result = run_suite(tmp_path, "--port", NOPE)
    out = result.stdout + result.stderr
    assert result.returncode == 3, out  # the bench is broken
    lines = out.splitlines()
    assert len(lines) < 60, out
    assert "Traceback" not in out and "serialposix" not in out and "def open" not in out, out
    # the first error in full: the port and the fix
    full = [ln for ln in lines if ln.startswith("PortNotFoundError: opening ")]
    assert len(full) == 1 and NOPE in full[0] and "plug the board in" in full[0], out
    # every later test: one line pointing at the first
    # (the errors section; with CI set pytest also repeats them, untruncated, in its
    # short summary: lines that start with "ERROR suite/...")
    pointers = [ln for ln in lines if ln.startswith("PortNotFoundError: not tried")
                and "the first bench error, in full: "
                "suite/test_1_firmware.py::test_firmware_version" in ln]
    assert len(pointers) == 7, out
    assert f"bench broken since opening the port {NOPE}: " in out, out


def test_tb_long_keeps_the_traceback(tmp_path: Path) -> None:
    result = run_suite(tmp_path, "--port", NOPE, "--tb=long", "-x")
    assert "serialposix.py" in result.stdout and "FileNotFoundError" in result.stdout


def test_the_summary_names_the_port_not_flashing_and_the_firmware_given(tmp_path: Path) -> None:
    from hil.sim.image import make_image

    image = tmp_path / "ESP8266_GENERIC-test.bin"
    image.write_bytes(make_image())
    result = run_suite(tmp_path, f"--port={NOPE}", f"--firmware={image}", "-x")
    out = result.stdout
    assert f"bench broken since opening the port {NOPE}" in out, out
    assert "since flashing" not in out and "no --firmware given" not in out, out
    assert "firmware: v1.24.1 sha256 " in out, out


@pytest.mark.parametrize("option", ["--firmware", "--bench"])
def test_a_missing_file_is_a_usage_error_before_anything_starts(tmp_path: Path,
                                                                option: str) -> None:
    missing = tmp_path / "nowhere.bin"
    result = run_suite(tmp_path, f"{option}={missing}")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert f"{missing} does not exist" in result.stderr
    assert "collected" not in result.stdout  # nothing started: no twin, no test


READER = """
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)  # no lock, as screen or minicom
print("open", flush=True)
while True:
    os.read(fd, 100)
"""


def test_a_second_reader_that_does_not_lock_the_port_is_a_port_error(twin, tmp_path: Path
                                                                      ) -> None:
    reader = subprocess.Popen([sys.executable, "-c", READER, twin.pty_device],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "open"
        time.sleep(0.5)
        result = run_suite(tmp_path, f"--port={twin.pty_device}", "-x")
    finally:
        reader.kill()
        reader.wait()
    out = result.stdout
    assert "SerialException" not in out, out
    assert "PortBusyError: " in out and "another program reads the same port" in out, out
    assert f"fuser {twin.pty_device}" in out, out


def test_a_project_without_an_app_folder_is_told_where_to_put_it(twin, tmp_path: Path) -> None:
    """Tests in another project use the board; its rootdir has no firmware/ folder."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_mine.py").write_text(
        "def test_one(board):\n    pass\n\ndef test_two(board):\n    pass\n")
    result = run_pytest("--basetemp", str(tmp_path / "base"), f"--port={twin.url}", cwd=project)
    out = result.stdout + result.stderr
    assert result.returncode == 3, out  # nothing was tested: never a pass
    assert f"app directory {project / 'firmware'} does not exist" in out, out
    assert "--app-dir DIR" in out, out  # what to do
    assert "since finding the app to upload" in out, out  # the second test: one line
