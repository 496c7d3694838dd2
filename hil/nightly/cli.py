"""`hil health`: the bench's figures over the last nights, and what drifts or newly flickers."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_OK, EXIT_FLAGGED, EXIT_USAGE = 0, 1, 2


def register(sub: argparse._SubParsersAction) -> None:
    from hil.nightly.paths import history_dir

    p = sub.add_parser(
        "health", help="the bench's figures over the last nights; what drifts or flickers",
        description="Plot each figure the nightly suite measured over the last nights and flag "
                    "what drifts or newly flickers, with the part to check. Exit 0: nothing "
                    "flagged; 1: something flagged; 2: no history.")
    p.add_argument("--history", metavar="FILE", default=None,
                   help=f"the history (JSON lines) ci/nightly appends to (default: the newest "
                        f"file in {history_dir()})")
    p.add_argument("--nights", type=int, default=30, help="nights to show (default 30)")
    p.add_argument("--json", action="store_true", help="the flags as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from hil.nightly import health, history
    from hil.nightly.paths import history_dir

    path = Path(args.history).expanduser() if args.history else None
    if path is None:
        files = sorted(history_dir().glob("*.jsonl"), key=lambda p: p.stat().st_mtime)
        if not files:
            print(f"hil health: no history in {history_dir()}: run ci/nightly first, or pass "
                  f"--history FILE", file=sys.stderr)
            return EXIT_USAGE
        path = files[-1]
    if not path.is_file():
        print(f"hil health: {path}: no such history file; pass the --history ci/nightly "
              f"appends to", file=sys.stderr)
        return EXIT_USAGE
    nights = history.read(path)
    findings = health.analyse(nights[-args.nights - 1:], window=args.nights)
    if args.json:
        print(json.dumps({"history": str(path), "nights": len(nights),
                          "flags": [f.__dict__ for f in findings]}, indent=2))
    else:
        print(health.text_report(nights, findings, str(path), last=args.nights))
    return EXIT_FLAGGED if findings else EXIT_OK
