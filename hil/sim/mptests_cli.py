"""`hil sim run-micropython-tests`: MicroPython's own test-suite against a fresh twin.

    hil sim run-micropython-tests --micropython-dir ~/src/micropython [-d basics ...]

Runs the checkout's ``tests/run-tests.py -t port:PTY -d basics`` (its newer
spelling of ``--target pyboard --device``) over the raw REPL of a twin started
for the run in a temporary state folder, as it would against a board on a
serial port. Tests that use ``unittest`` need it on the board: it is copied to
the twin's ``/lib`` from the checkout's micropython-lib submodule
(``lib/micropython-lib``, ``git submodule update --init lib/micropython-lib``).
MicroPython's tests are not this project's code: nothing of them is kept here.
Exit status: run-tests.py's (0 all passed), 2 usage, 3 the twin did not start.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

UNITTEST = Path("lib/micropython-lib/python-stdlib/unittest/unittest/__init__.py")


def register_mptests(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run-micropython-tests",
        help="run MicroPython's own tests (tests/run-tests.py) against a fresh twin",
        description="Start a twin in a temporary state folder, put unittest on it, then run "
        "DIR/tests/run-tests.py -t port:PTY -d TESTDIR... against it.",
    )
    p.add_argument("--micropython-dir", type=Path, required=True, metavar="DIR",
                   help="a MicroPython checkout (with tests/run-tests.py)")
    p.add_argument("-d", "--test-dirs", nargs="+", default=["basics"], metavar="TESTDIR",
                   help="test folders under DIR/tests (default: basics)")
    p.add_argument("--state", type=Path, default=None, metavar="DIR",
                   help="the twin's state folder (default: a temporary one, removed after)")
    p.add_argument("run_tests_args", nargs=argparse.REMAINDER,
                   help="after --: more arguments for run-tests.py")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    root = args.micropython_dir.expanduser().resolve()
    runner = root / "tests" / "run-tests.py"
    if not runner.is_file():
        print(f"hil sim run-micropython-tests: {runner} not found: --micropython-dir must name "
              "a MicroPython checkout", file=sys.stderr)
        return 2
    extra = [a for a in args.run_tests_args if a != "--"]
    with tempfile.TemporaryDirectory(prefix="hil-mptests-") as tmp:
        from hil.sim.twin import Twin

        twin = Twin(args.state or Path(tmp) / "twin")
        try:
            twin.start()
        except OSError as e:
            print(f"hil sim run-micropython-tests: the twin did not start: {e}", file=sys.stderr)
            return 3
        try:
            print(f"twin: {twin.pty_device}", flush=True)
            _install_unittest(twin.pty_device, root)
            cmd = [sys.executable, str(runner), "-t", "port:" + twin.pty_device,
                   "-d", *args.test_dirs, *extra]
            return subprocess.call(cmd, cwd=runner.parent)
        finally:
            twin.stop()


def _install_unittest(pty: str, root: Path) -> None:
    src = root / UNITTEST
    if not src.is_file():
        print(f"note: {src} is missing (git submodule update --init lib/micropython-lib): "
              "tests that use unittest will stop run-tests.py", file=sys.stderr)
        return
    mp = [sys.executable, "-m", "mpremote", "connect", pty]
    # The first boot formats the flash; mpremote's own connect waits for the REPL.
    subprocess.run(mp + ["fs", "mkdir", ":/lib"], capture_output=True, check=False)
    subprocess.run(mp + ["fs", "mkdir", ":/lib/unittest"], capture_output=True, check=False)
    done = subprocess.run(mp + ["fs", "cp", str(src), ":/lib/unittest/__init__.py"],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"note: copying unittest to the twin failed: {done.stderr.strip()}", file=sys.stderr)
