"""`hil deploy --port P [APP_DIR]`: the plugin's upload of the app, outside pytest.

Compile-checks every .py first (nothing is sent when one does not compile:
exit 1, the app's fault), uploads only the files whose sha256 differs, checks
each write, then soft-resets the board so main.py runs. Exit 3 when the bench
is broken.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hil.deploy.deployer import app_files, deploy_app
from hil.progress import progress_bar
from hil.repl import Repl
from hil.transport.cli import add_port_argument


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "deploy",
        help="upload the app (compile-checked; unchanged files skipped) and restart it",
        description="Compile-check APP_DIR's .py files, upload the files that differ from "
        "the board's (sha256), verify each, then soft-reset so main.py runs. Exit status: 0 "
        "done, 1 a file does not compile (nothing sent), 3 the bench is broken.",
    )
    add_port_argument(p)
    p.add_argument("app_dir", type=Path, nargs="?", default=Path("firmware"), metavar="APP_DIR",
                   help="directory holding main.py (default: ./firmware)")
    p.add_argument("--baud", type=int, default=115200, help="REPL baud (default 115200)")
    p.add_argument("--no-restart", action="store_true",
                   help="leave the board at the REPL instead of soft-resetting into main.py")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not args.app_dir.is_dir():
        print(f"hil deploy: error: {args.app_dir} is not a directory; pass the directory "
              f"holding main.py", file=sys.stderr)
        return 2
    app_files(args.app_dir)
    with Repl(args.port, args.baud) as repl:
        repl.ensure_friendly_idle()
        version = repl.version()  # compile-check with the board's release (hil.deploy.compile)
        with progress_bar(f"uploading {args.app_dir}") as progress:
            result = deploy_app(repl, args.app_dir, progress=progress, board_version=version)
        if not args.no_restart:
            repl.soft_reset(run_main=True)
        notes = list(repl.notes)  # what the harness did to get in (e.g. a break-in at boot)
    for note in notes:
        print(f"note: {note}")
    print(f"uploaded: {', '.join(result.uploaded) or 'nothing'}")
    print(f"unchanged: {', '.join(result.skipped) or 'nothing'}")
    if not args.no_restart:
        print("the board restarted: main.py runs")
    return 0
