"""ci/nightly: the suite on a bench board, once a night, with a result a person reads.

    ci/nightly [--port P] [--firmware F] [--bench B] [--reports DIR] [--history FILE]
               [--lock-timeout S] [-- PYTEST ARGS...]

1. Takes the board's lock (hil/nightly/lock.py): one job per board.
2. Runs the suite (pytest, ``--flash auto``) with every report in --reports DIR.
3. A bench error of a transient kind (the board reset, the line garbled, the
   port vanished and came back) gets one retry after a hard reset; an app
   failure never does.
4. On a failed button, LED or wiring test: ``hil diagnose --auto --json``.
5. Appends one line to the bench's history and flags what drifts or newly
   flickers (hil/nightly/health.py), in report.html and on the terminal.

Exit code (the project's contract): 0 all passed; 1 the app failed at least one
test and the bench was sound; 3 the bench is broken (no board, port missing,
busy or denied, image refused, flashing failed, no answer, board reset or
unplugged mid-run, the board's lock held too long). 2: bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from hil import exitcodes
from hil.errors import BenchError, HilError
from hil.nightly import health, history, paths, report_html
from hil.nightly.contract import RUN_RECORD, TRANSIENT
from hil.nightly.lock import BoardLock

ROOT = Path(__file__).resolve().parents[2]  # the checkout: suite/, firmware/, pyproject.toml
EXIT_OK, EXIT_APP = exitcodes.OK, exitcodes.APP_FAILED
EXIT_USAGE, EXIT_BENCH = exitcodes.USAGE, exitcodes.BENCH_BROKEN
MEANING = {EXIT_OK: "all tests passed", EXIT_APP: "the app failed (the bench was sound)",
           EXIT_BENCH: "the bench is broken: the results cannot be trusted"}
PORT_RETURN_S = 20.0   # how long a vanished port may take to come back before a retry
DIAGNOSE_TIMEOUT_S = 300.0
# Failed tests that send the board to `hil diagnose`: the LED, button and wiring tests.
DIAGNOSED = ("test_2_leds", "test_3_button", "test_4_wiring")
# Files of the reports folder this script owns (cleared before a run).
OWNED = ("junit.xml", "report.html", "pytest.log", "diagnosis.json", "diagnosis.svg",
         "nightly.json", "health.txt", RUN_RECORD)


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value else default


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ci/nightly",
        description="Run the on-board suite on a bench board for nightly CI: a lock per board, "
                    "one retry for transient bench faults, every report in --reports, one "
                    "line of history per night, flags for what drifts.",
        epilog="Exit codes: 0 all passed; 1 the app failed at least one test (the bench was "
               "sound); 3 the bench is broken (no board, port missing/busy/denied, image "
               "refused, flashing failed, no answer, board reset or unplugged mid-run, the "
               "board's lock held by another job); 2 bad arguments. Arguments after -- go "
               "to pytest (e.g. -- -k leds).")
    p.add_argument("--port", default=env("HIL_PORT", "auto"),
                   help="the board: a device path, rfc2217://HOST:PORT, auto, or a USB serial "
                        "number (env HIL_PORT; default auto)")
    p.add_argument("--firmware", default=env("HIL_FIRMWARE"),
                   help="MicroPython image the board must run, flashed only if it differs "
                        "(env HIL_FIRMWARE)")
    p.add_argument("--bench", default=env("HIL_BENCH"),
                   help="bench profile TOML (env HIL_BENCH; default the reference bench)")
    p.add_argument("--reports", default=env("HIL_REPORTS", "reports"),
                   help="folder for everything the run leaves (env HIL_REPORTS; default "
                        "reports/)")
    p.add_argument("--history", default=env("HIL_HISTORY"),
                   help="the bench's history (JSON lines; env HIL_HISTORY; default a file per "
                        f"board under {paths.history_dir()})")
    p.add_argument("--lock-timeout", type=float, default=float(env("HIL_LOCK_TIMEOUT", "1800")),
                   metavar="SECONDS",
                   help="how long to wait for another job's lock on the board "
                        "(env HIL_LOCK_TIMEOUT; default 1800)")
    p.add_argument("--lock-dir", default=None,
                   help=f"folder of the boards' lock files (env HIL_LOCK_DIR; default "
                        f"{paths.lock_dir()})")
    p.add_argument("pytest_args", nargs="*", help="after --: more pytest arguments")
    return p


@dataclass
class Attempt:
    returncode: int
    record: dict | None
    code: int = EXIT_BENCH
    why: str = ""


@dataclass
class Nightly:
    args: argparse.Namespace
    reports: Path
    port: str = ""
    retried: str | None = None
    notes: list[str] = field(default_factory=list)
    diagnosis_exit: int | None = None

    def say(self, text: str) -> None:
        print(f"nightly: {text}", file=sys.stderr, flush=True)

    # -- the suite ------------------------------------------------------------------------
    def pytest_command(self) -> list[str]:
        r = self.reports
        cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rfEs",
               f"--rootdir={ROOT}", "-c", str(ROOT / "pyproject.toml"),
               f"--port={self.port}", "--flash=auto", f"--hil-artifacts={r}",
               f"--junitxml={r / 'junit.xml'}", "-o", "junit_logging=system-out",
               f"--html={r / 'report.html'}", "--self-contained-html"]
        if self.args.firmware:
            cmd.append(f"--firmware={Path(self.args.firmware).expanduser().resolve()}")
        if self.args.bench:
            cmd.append(f"--bench={Path(self.args.bench).expanduser().resolve()}")
        return cmd + [str(ROOT / "suite"), *self.args.pytest_args]

    def run_suite(self) -> Attempt:
        cmd = self.pytest_command()
        log = self.reports / "pytest.log"
        e = dict(os.environ, CI=os.environ.get("CI") or "1")  # never prompt a person
        with log.open("w", encoding="utf-8") as out:
            out.write("$ " + " ".join(cmd) + "\n")
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, env=e)
            assert proc.stdout is not None
            for line in proc.stdout:  # to the job's log and to pytest.log
                sys.stdout.write(line)
                out.write(line)
            rc = proc.wait()
        sys.stdout.flush()
        try:
            record = json.loads((self.reports / RUN_RECORD).read_text())
        except (OSError, ValueError):
            record = None
        attempt = Attempt(rc, record)
        attempt.code, attempt.why = classify(rc, record)
        return attempt

    # -- retry ----------------------------------------------------------------------------
    def maybe_retry(self, first: Attempt) -> Attempt:
        be = (first.record or {}).get("bench_error") or {}
        if first.code != EXIT_BENCH or be.get("kind") not in TRANSIENT:
            return first
        kind = be["kind"]
        if not wait_for_port(self.port, PORT_RETURN_S):
            self.notes.append(f"not retried: the bench error was transient ({kind}) but "
                              f"{self.port} did not come back within {PORT_RETURN_S:.0f} s")
            return first
        try:
            hard_reset(self.port)
        except HilError as e:
            self.notes.append(f"not retried: the hard reset before the retry failed: {e}")
            return first
        keep = self.reports / "attempt-1"
        shutil.rmtree(keep, ignore_errors=True)
        keep.mkdir()
        for p in list(self.reports.iterdir()):
            if p != keep:
                shutil.move(str(p), str(keep / p.name))
        self.retried = (f"the first attempt ended with a transient bench error ({kind}: "
                        f"{be.get('message', '')}); the board was hard-reset and the suite run "
                        f"again. The first attempt's reports are in {keep}.")
        self.say(f"retrying once: {self.retried}")
        return self.run_suite()

    # -- diagnosis --------------------------------------------------------------------------
    def diagnose(self, attempt: Attempt) -> dict:
        if attempt.code == EXIT_BENCH:
            return {"verdict": None, "error": attempt.why}
        failed = [n for n in (attempt.record or {}).get("failed", [])
                  if any(f"/{m}.py::" in f"/{n}" for m in DIAGNOSED)]
        if attempt.code == EXIT_OK or not failed:
            return {"verdict": None, "error": None,
                    "skipped": "not run: no LED, button or wiring test failed"}
        picture = self.reports / "diagnosis.svg"
        cmd = [sys.executable, "-m", "hil.cli", "diagnose", "--port", self.port, "--auto",
               "--json", "--picture", str(picture)]
        if self.args.bench:
            cmd += ["--bench", str(Path(self.args.bench).expanduser().resolve())]
        self.say(f"{len(failed)} LED/button/wiring test(s) failed: running the unattended "
                 f"diagnosis (hil diagnose --auto)")
        try:
            proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                                  timeout=DIAGNOSE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return {"verdict": None, "error": f"hil diagnose gave no verdict within "
                                              f"{DIAGNOSE_TIMEOUT_S:.0f} s"}
        (self.reports / "diagnosis.log").write_text(proc.stderr)
        try:
            data = json.loads(proc.stdout)
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except ValueError:
            last = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
            data = {"verdict": None, "error": f"hil diagnose (exit {proc.returncode}): {last}"}
        self.diagnosis_exit = proc.returncode
        return data


def classify(rc: int, record: dict | None) -> tuple[int, str]:
    """pytest's exit status and the plugin's run record -> the contract's 0/1/3, and why."""
    be = (record or {}).get("bench_error")
    if be:
        return EXIT_BENCH, f"{be.get('message')} (at {be.get('where')})"
    if record is None:
        return EXIT_BENCH, (f"pytest ended with exit {rc} without the plugin's run record: the "
                            f"harness could not start (see pytest.log)")
    if rc == 0:
        return EXIT_OK, MEANING[EXIT_OK]
    errors = [n for n, o in (record.get("outcomes") or {}).items() if o == "error"]
    if errors:  # neither a bench error nor the app's failure: nothing after it is trusted
        return EXIT_BENCH, (f"{len(errors)} test(s) ended in an error the harness did not "
                            f"expect (first: {errors[0]}; see pytest.log): the bench or the "
                            f"harness, not the app")
    if rc == 1:
        failed = record.get("failed") or []
        return EXIT_APP, (f"{len(failed)} app test(s) failed: "
                          + ", ".join(n.rpartition('::')[2] for n in failed))
    if rc == EXIT_BENCH:
        return EXIT_BENCH, "pytest reported a broken bench (see pytest.log)"
    return EXIT_BENCH, {2: "the run was interrupted", 4: "pytest refused its arguments",
                        5: "no tests ran (check the arguments after --)"}.get(
        rc, f"pytest ended with exit {rc}") + " (see pytest.log)"


def resolve_port(spec: str) -> str:
    """Any spelling of the board -> its device path or URL, before the lock (one board,
    one lock, whatever name a job used): ``auto``, ``id:SERIAL`` and a bare USB serial
    number are looked up; a device path or URL is kept."""
    from hil.transport.discovery import port_by_serial
    from hil.transport.discovery import resolve_port as resolve

    if spec == "auto" or spec.startswith("id:"):
        return resolve(spec)
    if spec.startswith("/") or "://" in spec:
        return spec
    return port_by_serial(spec)


def wait_for_port(port: str, within: float) -> bool:
    """True once ``port`` opens again (busy counts as there), within ``within`` s."""
    from hil.errors import PortBusyError
    from hil.transport import open_port

    deadline = time.monotonic() + within
    while True:
        try:
            open_port(port).close()
            return True
        except PortBusyError:
            return True
        except HilError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(1.0)


def hard_reset(port: str) -> None:
    from hil.repl import Repl

    with Repl(port) as repl:
        repl.hard_reset()


def clear_reports(reports: Path) -> None:
    """Last night's files of this script (and the plugin's test folders) go; others stay."""
    reports.mkdir(parents=True, exist_ok=True)
    try:
        old = json.loads((reports / RUN_RECORD).read_text())
        for name in old.get("test_dirs", []):
            shutil.rmtree(reports / Path(name).name, ignore_errors=True)
    except (OSError, ValueError, AttributeError):
        pass
    shutil.rmtree(reports / "attempt-1", ignore_errors=True)
    for name in OWNED + ("diagnosis.log",):
        (reports / name).unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.lock_timeout < 0:
        print("ci/nightly: --lock-timeout must be 0 or more seconds", file=sys.stderr)
        return EXIT_USAGE
    if args.firmware and not Path(args.firmware).expanduser().is_file():
        # the image is part of the bench: a missing file is the bench's error (3), but
        # the suite says so in every report; here only a hint on the terminal
        print(f"nightly: --firmware {args.firmware}: no such file", file=sys.stderr)
    reports = Path(args.reports).expanduser().resolve()
    clear_reports(reports)
    night = Nightly(args, reports)
    record: dict | None = None
    lock: BoardLock | None = None
    try:
        try:
            night.port = resolve_port(args.port)
            lock_dir = Path(args.lock_dir) if args.lock_dir else paths.lock_dir()
            lock = BoardLock(lock_dir, paths.board_key(night.port), night.port)
            lock.acquire(args.lock_timeout, night.say)
        except BenchError as e:
            night.port = night.port or args.port
            return finish(night, EXIT_BENCH, str(e), None, {"verdict": None, "error": str(e)})
        attempt = night.maybe_retry(night.run_suite())
        record = attempt.record
        diagnosis = night.diagnose(attempt)
        code, why = attempt.code, attempt.why
        if code == EXIT_APP and night.diagnosis_exit == EXIT_BENCH:
            code, why = EXIT_BENCH, (f"after the suite, the diagnosis found the bench broken: "
                                     f"{diagnosis.get('error')}")
        return finish(night, code, why, record, diagnosis)
    finally:
        if lock is not None:
            lock.release()


def finish(night: Nightly, code: int, why: str, record: dict | None, diagnosis: dict) -> int:
    """diagnosis.json, the history line, health, report.html's sections, nightly.json."""
    reports = night.reports
    (reports / "diagnosis.json").write_text(json.dumps(diagnosis, indent=2) + "\n")
    mac = ((record or {}).get("facts") or {}).get("board_mac")
    path = Path(night.args.history).expanduser() if night.args.history else \
        paths.history_file(mac if mac and mac != "unknown" else None, night.port or "board")
    history.append(path, history.make_line(record, exit_code=code, port=night.port,
                                           retried=night.retried,
                                           error=why if code == EXIT_BENCH else None))
    nights = history.read(path)
    findings = health.analyse(nights)
    text = health.text_report(nights, findings, str(path))
    (reports / "health.txt").write_text(text + "\n")
    picture = Path(diagnosis["picture"]) if diagnosis.get("picture") else None
    meaning = f"{MEANING[code]}: {why}" if code != EXIT_OK else MEANING[code]
    report_html.add_sections(reports / "report.html", [
        report_html.result_section(code, meaning, night.retried),
        report_html.diagnosis_section(diagnosis, picture),
        health.html_section(nights, findings, str(path)),
    ])
    (reports / "nightly.json").write_text(json.dumps({
        "exit": code, "meaning": meaning, "port": night.port, "retried": night.retried,
        "notes": night.notes, "bench_error": (record or {}).get("bench_error"),
        "diagnosis": diagnosis.get("verdict"), "history": str(path),
        "flags": [f.text for f in findings]}, indent=2) + "\n")
    print(text)
    for note in night.notes:
        night.say(note)
    if night.retried:
        night.say(f"retried once: {night.retried}")
    if diagnosis.get("verdict"):
        v = diagnosis["verdict"]
        night.say(f"diagnosis: {v}" + (f" ({', '.join(diagnosis.get('candidates') or [])})"
                                       if v == "ambiguous" else "")
                  + f"; repair: {diagnosis.get('repair', '')}")
    label = {EXIT_OK: "PASSED", EXIT_APP: "APP FAILED", EXIT_BENCH: "BENCH BROKEN"}[code]
    night.say(f"{label} (exit {code}): {why}; reports in {reports}")
    return code


if __name__ == "__main__":
    sys.exit(main())
