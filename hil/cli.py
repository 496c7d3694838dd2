"""The `hil` command: dispatch only, and the one place errors become exit codes.

Each service registers its own subcommand from its own module, so this file
stays small: `register(subparsers)` adds the parser, and the parser's
`handler` default is called with the parsed arguments and returns an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from hil import exitcodes
from hil.errors import BenchError, HilError

# module -> its `register(subparsers)`; imported lazily so `hil --help` is fast
# and a broken optional part never breaks the others.
SUBCOMMANDS = (
    "hil.sim.cli",
    "hil.diagnose.cli",
    "hil.transport.cli",
    "hil.flash.cli",
    "hil.deploy.cli",
    "hil.nightly.cli",
)

EXIT_OK = exitcodes.OK
EXIT_FAIL = exitcodes.APP_FAILED  # the check ran and found a fault
EXIT_USAGE = exitcodes.USAGE
EXIT_BENCH = exitcodes.BENCH_BROKEN  # the bench itself is broken (port, board, tools)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hil",
        description="Hardware-in-the-loop tests for MicroPython on the ESP8266.",
        epilog="hil diagnose " + exitcodes.DIAGNOSE_HELP + ". pytest (the suite): "
               + exitcodes.PYTEST_HELP + ".",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        module = importlib.import_module(name)
        module.register(sub)
    return parser


def _version() -> str:
    from hil import __version__

    return f"hil {__version__}"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(handler(args) or EXIT_OK)
    except KeyboardInterrupt:
        print("hil: interrupted", file=sys.stderr)
        return 130
    except BenchError as e:
        print(f"hil: error: {e}", file=sys.stderr)
        return EXIT_BENCH
    except HilError as e:
        print(f"hil: error: {e}", file=sys.stderr)
        return EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
