"""Benchmark: uploading main.py, through the harness and with mpremote and rshell.

    .venv/bin/python -m bench upload

The file is the app's own firmware/main.py at 115200 baud over the twin's pty.
"changed": a new comment line each run, so every tool must write it;
"unchanged": the same file again (the harness compares SHA-256 and writes
nothing; mpremote and rshell do what they do). The harness runs in a session
whose port is already open, as in a pytest run; mpremote and rshell run as
people use them, a process per copy (their start-up is in their figure).
Goal: the harness faster than both.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import REPO, Row, ratio_row, run, sim, standalone, timed, tool

APP = REPO / "firmware" / "main.py"


def measure(runs: int = 3) -> list[Row]:
    from hil.deploy import deploy_app
    from hil.repl import Repl

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="hil-bench-upload-") as d, sim() as twin:
        app_dir = Path(d) / "app"
        app_dir.mkdir()
        main = app_dir / "main.py"
        counter = [0]

        def change() -> None:
            counter[0] += 1
            main.write_text(APP.read_text() + f"# edit {counter[0]}\n")

        main.write_text(APP.read_text())
        mp = [tool("mpremote"), "connect", twin.pty]
        rs = [tool("rshell"), "--quiet", "--nocolor", "--timing", "-p", twin.pty, "--buffer-size",
              "512"]

        # A main.py that blinks forever would hold the REPL at each tool's soft reset:
        # the file blinks only when imported, as the suite imports it.
        def hil_upload() -> None:
            with Repl(twin.pty) as repl:
                repl.ensure_friendly_idle()
                times.append(timed(lambda: deploy_app(repl, app_dir), 1)[0])

        def mpremote_cp() -> None:
            run([*mp, "fs", "cp", str(main), ":main.py"], timeout=120)

        def rshell_cp() -> None:
            run([*rs, "cp", str(main), "/pyboard/main.py"], timeout=120)

        results: dict[str, dict[str, list[float]]] = {}
        for kind in ("changed", "unchanged"):
            results[kind] = {}
            times: list[float] = []
            for _ in range(runs):
                if kind == "changed":
                    change()
                hil_upload()
            results[kind]["hil"] = times
            for label, fn in (("mpremote fs cp", mpremote_cp), ("rshell cp", rshell_cp)):
                xs = []
                for _ in range(runs):
                    if kind == "changed":
                        change()
                    xs += timed(fn, 1)
                results[kind][label] = xs
            for label in ("mpremote fs cp", "rshell cp"):
                rows.append(ratio_row(
                    f"upload main.py, {kind}, vs {label.split()[0]}", results[kind]["hil"],
                    results[kind][label], goal=1.0, labels=("hil", label),
                    note=f"{main.stat().st_size} bytes at 115200 baud; hil in an open session, "
                         f"{label.split()[0]} a process per copy"))
    return rows


if __name__ == "__main__":
    sys.exit(standalone(measure, __doc__))
