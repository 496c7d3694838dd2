"""Desk runs: the serial transcript per test, its last lines in a failure, DEBUG logging live.

`pytest --port ...` against a twin (a subprocess, the real plugin and REPL path).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def run_suite(tmp: Path, port: str, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pytest", "suite", "-p", "no:cacheprovider", "-rfE",
           f"--port={port}", f"--hil-artifacts={tmp / 'art'}", "--basetemp", str(tmp / "base"),
           *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, CI="1"))


@pytest.mark.twin(faults=["dead-button"])
def test_failed_test_shows_the_transcripts_last_lines(twin, tmp_path: Path) -> None:
    proc = run_suite(tmp_path, twin.url, "-k", "button_reads")
    assert proc.returncode == 1, proc.stdout[-4000:]
    transcript = tmp_path / "art" / "test_button_reads_released_and_pressed" / "serial.log"
    assert f"serial transcript (last lines of {transcript})" in proc.stdout
    text = transcript.read_text()
    assert f"{twin.url} -> " in text and f"{twin.url} <- " in text and "<^D>" in text
    section = proc.stdout.split(f"serial transcript (last lines of {transcript})", 1)[1]
    shown = [line for line in section.splitlines()[1:20] if " <- " in line or " -> " in line]
    assert shown and all(line in text for line in shown)  # lines of the transcript itself
    assert "DEBUG    hil.serial" not in proc.stdout  # not every byte in every report section
    assert f"hil artifacts (transcripts, waveforms, hil-run.json): {tmp_path / 'art'}" \
        in proc.stdout


def test_debug_log_shows_the_bytes_live(twin, tmp_path: Path) -> None:
    quiet = run_suite(tmp_path, twin.url, "-k", "files_match")
    assert quiet.returncode == 0, quiet.stdout[-4000:]
    assert f"{twin.url} -> " not in quiet.stdout
    live = run_suite(tmp_path, twin.url, "-k", "files_match", "--log-cli-level=DEBUG")
    assert live.returncode == 0, live.stdout[-4000:]
    assert f"{twin.url} -> " in live.stdout and f"{twin.url} <- " in live.stdout
