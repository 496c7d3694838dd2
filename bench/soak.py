"""Soak: the on-board suite N times on one twin, with link faults off and then on.

    .venv/bin/python -m bench soak                    # 3 runs clean, 3 with garble+drop at 1e-4
    .venv/bin/python -m bench soak --runs 100         # the issue's goal: 100 clean runs
    .venv/bin/python bench/soak.py --modes on --faults garble:1e-3 --via pty

Prints one line per run: passed tests, app failures (failed tests), bench errors
(errored tests), skipped, pytest's exit status (0 / 1 app failed / 3 bench broken),
wall time and the bytes the link faults hit during the run; then a summary per mode.
Goal (shown, not asserted): every run of a mode ends the same way as its first,
no app failure with the link faults on that the clean link does not show, and
every faulty-link problem reported as a bench error, never as an app failure.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from hil.sim.twin import Twin

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FAULTS = "garble:1e-4,drop:1e-4"


@dataclass
class Run:
    mode: str
    index: int
    status: int
    wall: float
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    failed_tests: list[str] = field(default_factory=list)
    error_tests: list[str] = field(default_factory=list)
    hits: int = 0

    def outcome(self) -> tuple[object, ...]:
        return (self.status, tuple(sorted(self.failed_tests)), tuple(sorted(self.error_tests)))


def parse_junit(path: Path, run: Run) -> None:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return  # pytest did not get far enough to write one: the exit status says why
    for case in root.iter("testcase"):
        name = case.get("name", "?")
        if case.find("error") is not None:
            run.errors += 1
            run.error_tests.append(name)
        elif case.find("failure") is not None:
            run.failed += 1
            run.failed_tests.append(name)
        elif case.find("skipped") is not None:
            run.skipped += 1
        else:
            run.passed += 1


def run_suite(port: str, out: Path, mode: str, index: int, extra: list[str], twin: Twin) -> Run:
    junit = out / f"{mode}-{index}.xml"
    before = twin.link_state()
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--port", port,
         f"--junitxml={junit}", *extra],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    run = Run(mode, index, proc.returncode, time.monotonic() - t0)
    after = twin.link_state()
    run.hits = sum(int(after[k]) - int(before[k]) for k in ("garbled", "dropped"))  # type: ignore[call-overload]
    parse_junit(junit, run)
    (out / f"{mode}-{index}.log").write_text(proc.stdout + proc.stderr)
    return run


def show(run: Run) -> None:
    names = ""
    if run.failed_tests:
        names += " app: " + ",".join(run.failed_tests)
    if run.error_tests:
        names += " bench: " + ",".join(run.error_tests)
    print(f"{run.mode:>5} {run.index:>4} {run.passed:>6} {run.failed:>8} {run.errors:>7} {run.skipped:>7}"
          f" {run.status:>4} {run.wall:>7.1f} {run.hits:>6}{names}", flush=True)


def summary(runs: list[Run]) -> None:
    print()
    clean_app = {t for r in runs if r.mode == "off" for t in r.failed_tests}
    for mode in dict.fromkeys(r.mode for r in runs):
        rs = [r for r in runs if r.mode == mode]
        flaky = sum(1 for r in rs if r.outcome() != rs[0].outcome())
        walls = sorted(r.wall for r in rs)
        extra_app = sorted({t for r in rs for t in r.failed_tests} - clean_app) if mode != "off" else []
        print(f"{mode}: {len(rs)} runs, {sum(r.status == 0 for r in rs)} all passed, "
              f"{sum(r.status == 1 for r in rs)} with app failures, {sum(r.status == 3 for r in rs)} with bench "
              f"errors, {sum(r.status not in (0, 1, 3) for r in rs)} other; {flaky} differ from run 1; "
              f"wall median {walls[len(walls) // 2]:.1f} s, max {walls[-1]:.1f} s")
        if mode != "off":
            print(f"  app failures the clean link does not show: {', '.join(extra_app) or 'none'} (goal: none)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="runs per mode (default 3; the goal is 100)")
    ap.add_argument("--modes", default="off,on", help="link faults off, on, or both (default off,on)")
    ap.add_argument("--faults", default=DEFAULT_FAULTS, help=f"link faults for mode on (default {DEFAULT_FAULTS})")
    ap.add_argument("--via", choices=("url", "pty"), default="url", help="how pytest reaches the twin")
    ap.add_argument("--keep", type=Path, default=None, metavar="DIR", help="keep JUnit files and logs here")
    ap.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --)")
    args = ap.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not set(modes) <= {"off", "on"} or args.runs < 1:
        ap.error("--modes takes off and/or on; --runs at least 1")
    faults = [f.strip() for f in args.faults.split(",") if f.strip()]
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="hil-soak-") as tmp:
        out = args.keep or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        with Twin(Path(tmp) / "state") as twin:
            port = twin.url if args.via == "url" else twin.pty
            print(f"soak: one twin ({port}), {args.runs} run(s) per mode {modes}; mode on = {faults}")
            print(f"{'mode':>5} {'run':>4} {'passed':>6} {'app-fail':>8} {'bench':>7} {'skipped':>7}"
                  f" {'exit':>4} {'wall-s':>7} {'hits':>6}")
            for mode in modes:
                twin.set_link_faults(set=faults if mode == "on" else [], clear=[] if mode == "on" else faults)
                for i in range(1, args.runs + 1):
                    run = run_suite(port, out, mode, i, args.pytest_args, twin)
                    runs.append(run)
                    show(run)
            twin.set_link_faults(clear=faults)
    summary(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
