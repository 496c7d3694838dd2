"""ci/nightly's command line: bad input is a usage error (2), a board it cannot find is the bench (3)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import NIGHTLY, nightly_env, run_nightly


def test_negative_lock_timeout_is_a_usage_error(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(NIGHTLY), "--lock-timeout", "-1"], cwd=tmp_path,
                          capture_output=True, text=True, env=nightly_env(tmp_path), timeout=60)
    assert proc.returncode == 2 and "--lock-timeout" in proc.stderr


def test_unknown_usb_serial_number_is_the_bench(tmp_path: Path) -> None:
    run = run_nightly(tmp_path, "HIL-NO-SUCH-SERIAL-0001")
    assert run.returncode == 3, run.describe()
    last = run.stderr.strip().splitlines()[-1]
    assert "HIL-NO-SUCH-SERIAL-0001" in last and "serial number" in last
    diagnosis = json.loads((run.reports / "diagnosis.json").read_text())
    assert diagnosis["verdict"] is None and "HIL-NO-SUCH-SERIAL-0001" in diagnosis["error"]
    assert run.history_lines()[-1]["exit"] == 3
    assert "Nightly result: exit 3" in (run.reports / "report.html").read_text()  # no pytest


def test_shell_shim_calls_nightly(tmp_path: Path) -> None:
    proc = subprocess.run([str(NIGHTLY.with_suffix(".sh")), "--help"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and "--lock-timeout" in proc.stdout and "Exit codes" in proc.stdout
