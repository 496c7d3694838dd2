"""Helpers for the nightly tests: run ci/nightly as CI does, against a twin, in tmp dirs.

Every run gets its own state dir (XDG_STATE_HOME), lock folder and history
under the test's tmp_path: the user's ~/.local/state is never touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NIGHTLY = ROOT / "ci" / "nightly"
RUN_TIMEOUT = 400.0  # s: a generous deadline for one nightly run, never a timing assertion


@dataclass
class NightlyRun:
    returncode: int
    stdout: str
    stderr: str
    reports: Path
    history: Path

    def json(self, name: str) -> dict:
        return json.loads((self.reports / name).read_text())

    def history_lines(self) -> list[dict]:
        return [json.loads(x) for x in self.history.read_text().splitlines()]

    def describe(self) -> str:
        return f"exit {self.returncode}\n--- stderr\n{self.stderr[-3000:]}\n--- stdout\n" \
               f"{self.stdout[-5000:]}"


def nightly_env(tmp: Path) -> dict[str, str]:
    return dict(os.environ, XDG_STATE_HOME=str(tmp / "state"), HIL_LOCK_DIR=str(tmp / "locks"),
                CI="1")


def nightly_cmd(port: str, reports: Path, history: Path, *extra: str) -> list[str]:
    return [sys.executable, str(NIGHTLY), "--port", port, "--reports", str(reports),
            "--history", str(history), *extra]


def run_nightly(tmp: Path, port: str, *extra: str, name: str = "reports",
                history: Path | None = None) -> NightlyRun:
    reports = tmp / name
    history = history or tmp / "history.jsonl"
    proc = subprocess.run(nightly_cmd(port, reports, history, *extra), cwd=tmp,
                          capture_output=True, text=True, env=nightly_env(tmp),
                          timeout=RUN_TIMEOUT)
    return NightlyRun(proc.returncode, proc.stdout, proc.stderr, reports, history)


@pytest.fixture
def nightly(tmp_path: Path):
    def run(port: str, *extra: str, **kw) -> NightlyRun:
        return run_nightly(tmp_path, port, *extra, **kw)

    return run
