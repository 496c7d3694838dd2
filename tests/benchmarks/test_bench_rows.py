"""`python -m bench --json FILE` gives the rows CI dashboards and the README read."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_list_names_every_benchmark() -> None:
    out = subprocess.run([sys.executable, "-m", "bench", "--list"], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout.split()
    for name in ("suite_time", "flash_check", "pin_check", "upload", "diagnose_time"):
        assert name in out


@pytest.mark.slow
def test_json_rows_carry_ratio_goal_and_raw_times(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    p = subprocess.run([sys.executable, "-m", "bench", "pin_check", "--runs", "2", "--json",
                        str(out)], cwd=REPO, capture_output=True, text=True, timeout=300,
                       check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    rows = json.loads(out.read_text())
    assert {r["name"] for r in rows} >= {"pin check vs mpremote exec (pty)",
                                         "pin check vs UART floor (rfc2217)"}
    for r in rows:
        assert r["better"] in ("lower", "higher")
        assert isinstance(r["goal"], (int, float)) and isinstance(r["met"], bool)
        assert all(len(v) >= 1 for v in r["times"].values())
        # met agrees with the ratio and the goal
        assert r["met"] == (r["ratio"] <= r["goal"] if r["better"] == "lower"
                            else r["ratio"] >= r["goal"])
    # the table is printed too, one line per figure
    assert "pin check vs mpremote exec (pty)" in p.stdout
