"""pytest plugin for bench/suite_time.py: when each test's setup, call and teardown ran.

Loaded with ``-p bench._suite_timer``; writes JSON to $HIL_BENCH_TIMES: the
session's start, and for each test its phases' start and stop (time.monotonic()).
"""

from __future__ import annotations

import json
import os
import time

_START = time.monotonic()
_TESTS: dict[str, dict[str, list[float]]] = {}


def pytest_runtest_logstart(nodeid: str, location: object) -> None:
    _TESTS.setdefault(nodeid, {})


def pytest_runtest_logreport(report) -> None:
    phases = _TESTS.setdefault(report.nodeid, {})
    phases[report.when] = [report.start, report.stop, report.outcome]


def pytest_sessionfinish(session, exitstatus) -> None:
    path = os.environ.get("HIL_BENCH_TIMES")
    if path:
        with open(path, "w") as f:
            json.dump({"start_wall": time.time() - (time.monotonic() - _START),
                       "tests": _TESTS, "exit": int(exitstatus)}, f)
