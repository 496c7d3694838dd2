"""Run the benchmarks and print one table (figure, ratio, goal, met, raw times).

    .venv/bin/python -m bench                    # all of them, against twins they start
    .venv/bin/python -m bench pin upload         # those whose module name contains a word
    .venv/bin/python -m bench --json bench.json  # the same rows as JSON
    .venv/bin/python -m bench --list

Each module here with a ``measure() -> list[Row]`` is one benchmark; its own
``python bench/<name>.py`` prints its rows alone. A module without one (the
soak: minutes per run) is a script that runs only when named, with the options
after its name: ``python -m bench soak --runs 100``. Nothing asserts a goal: the
machines this runs on are shared and noisy, so the table says met or MISSED.
JSON rows: ``name``, ``ratio``, ``goal`` (the bound), ``better`` ("lower" or
"higher"), ``met``, ``times`` (raw figures per label, every run), ``unit``, ``note``.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import time
import traceback
from pathlib import Path

from bench._common import Row, markdown_table, print_table, write_json

HERE = Path(__file__).parent


def modules() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.py") if not p.name.startswith("_"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("only", nargs="*", help="run the modules whose name contains one of these")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write the rows as JSON")
    ap.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    ap.add_argument("--list", action="store_true", help="list the benchmark modules")
    ap.add_argument("--runs", type=int, metavar="N",
                    help="runs per figure for every module (default: each module's own)")
    argv = sys.argv[1:] if argv is None else argv
    scripts = [n for n in modules() if argv[:1] == [n]
               and not hasattr(importlib.import_module(f"bench.{n}"), "measure")]
    if scripts:  # a script of its own (the soak): everything after its name is its options
        return subprocess.call([sys.executable, str(HERE / f"{scripts[0]}.py"), *argv[1:]])
    args = ap.parse_args(argv)
    names = [n for n in modules() if not args.only or any(w in n for w in args.only)]
    if args.list:
        print("\n".join(names))
        return 0
    rows: list[Row] = []
    broken = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "measure"):
            continue
        t = time.monotonic()
        print(f"== {name}", flush=True)
        try:
            got = module.measure(runs=args.runs) if args.runs else module.measure()
        except Exception:  # noqa: BLE001 (one broken benchmark must not hide the others)
            traceback.print_exc()
            broken.append(name)
            continue
        print_table(got)
        print(f"   ({time.monotonic() - t:.0f} s)", flush=True)
        rows += got
    if rows:
        print("\n== all figures")
        print_table(rows)
        if args.markdown:
            print()
            print(markdown_table(rows))
    if args.json:
        write_json(rows, args.json)
        print(f"rows written to {args.json}")
    if broken:
        print(f"benchmarks that could not run: {', '.join(broken)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
