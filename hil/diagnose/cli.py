"""`hil diagnose`: tell a dead button from a broken breadboard rail.

Guided (a person at the terminal; the default when stdin is a TTY, or
forced with --guided) or unattended (--auto, or whenever stdin is not a
TTY). Exit codes: 0 ok, 1 a fault found or ambiguous, 3 a broken bench
(BenchError, mapped in hil/cli.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hil import exitcodes
from hil.errors import HilError

EXIT_OK = exitcodes.OK
EXIT_FAULT = exitcodes.APP_FAILED


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "diagnose", help="tell a dead button from a broken breadboard rail",
        description="Find why the button (D5 on the reference bench) misreads: the chapter's "
                    "jumper test, done by the probes (--auto) or step by step with you (guided).",
        epilog=exitcodes.DIAGNOSE_HELP[0].upper() + exitcodes.DIAGNOSE_HELP[1:] + ".")
    p.add_argument("--port", required=True, metavar="PORT",
                   help="the board: /dev/ttyUSB0, rfc2217://host:port, socket://... or auto")
    p.add_argument("--baud", type=int, default=115200, help="REPL baud rate (default 115200)")
    p.add_argument("--bench", metavar="PROFILE", default=None,
                   help="bench profile TOML (default: the reference bench)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--auto", action="store_true",
                      help="unattended: use the probes only, never ask")
    mode.add_argument("--guided", action="store_true",
                      help="ask a person for each step (prompts on stdin even without a TTY)")
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")
    p.add_argument("--picture", metavar="SVG", default="hil-diagnose.svg",
                   help="where to write the bench drawing (default ./hil-diagnose.svg; "
                        "'none' for no drawing)")
    p.add_argument("--window", type=int, default=50,
                   help="reads per sampling window (default 50)")
    p.add_argument("--period-ms", type=int, default=10,
                   help="ms between the reads of a window (default 10: 50 reads span ~0.5 s, "
                        "the app's half cycle)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except HilError as e:
        if args.json:  # a script reading stdout gets JSON whatever happened
            print(json.dumps({"verdict": None, "error": str(e)}))
        raise  # hil/cli.py: the message on stderr, the exit status (3 for the bench)


def _run(args: argparse.Namespace) -> int:
    from hil.bench import load_profile
    from hil.diagnose import report
    from hil.repl import Repl

    profile = load_profile(args.bench)
    guided = args.guided or (not args.auto and sys.stdin.isatty())
    with Repl(args.port, args.baud) as repl:
        if guided:
            from hil.diagnose.guided import TerminalOperator, run_guided

            operator = TerminalOperator(live=sys.stdin.isatty() and sys.stdout.isatty()
                                        and not args.json)
            outcome = run_guided(repl, profile, operator, window=args.window,
                                 period_ms=args.period_ms)
        else:
            from hil.diagnose.probe import run_unattended

            outcome = run_unattended(repl, profile, window=args.window,
                                     period_ms=args.period_ms)
        for note in repl.notes:  # what the harness did to get in; stdout stays the verdict's
            print(f"note: {note}", file=sys.stderr)
    verdict = outcome.verdict
    picture = None
    if args.picture.lower() != "none":
        from hil.diagnose.picture import draw  # schemdraw costs 0.3 s: only when drawing

        picture = draw(verdict, profile, Path(args.picture).absolute())
    if args.json:
        print(report.to_json(verdict, picture, app_was_running=outcome.app_was_running,
                             mode="guided" if guided else "auto"))
    else:
        print(report.to_text(verdict, picture))
    return EXIT_OK if verdict.verdict == "ok" else EXIT_FAULT
