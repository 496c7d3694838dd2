"""``pytest`` in a subprocess, as a user runs it: the one helper of the suite tests.

The tests in this folder check what a user sees from ``pytest suite ...`` (exit
code, output, JUnit XML), so they run it as a separate process, not in-process;
``stop`` ends the servers some of them start.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def clean_env(*, ci: bool = False, drop: tuple[str, ...] = ("HIL_",)) -> dict[str, str]:
    """This environment without variables starting with ``drop`` (default: the
    HIL_* settings of whoever runs the tests, which would change the run);
    ``ci`` adds CI=1 so that a test needing a person skips instead of prompting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    if ci:
        env["CI"] = "1"
    return env


def run_pytest(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None,
               timeout: float = 300, python: str = sys.executable
               ) -> subprocess.CompletedProcess[str]:
    """``python -m pytest -p no:cacheprovider <args>`` in ``cwd``, output captured,
    never raising on a non-zero exit; ``env`` defaults to ``clean_env()``."""
    return subprocess.run([python, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout,
                          env=clean_env() if env is None else env, check=False)


def stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """End ``proc`` if it still runs: SIGTERM, then SIGKILL after ``grace`` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
