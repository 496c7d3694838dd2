"""`hil sim image`: write a MicroPython ESP8266 firmware image (for tests and demos).

`hil sim` (hil/sim/cli.py) calls `register_image(sub)` with its own subparsers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hil.sim.image import DEFAULT_VERSION, find_firmware_info, make_image


def register_image(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "image",
        help="write a structurally valid ESP8266 MicroPython image (esptool image-info accepts it)",
        description="Write an ESP8266 v1 image laid out like MicroPython's makeimg.py, "
        "carrying the banner 'MicroPython vX.Y.Z on DATE; ESP module with ESP8266'. "
        "Flash it to a twin with esptool; the twin then boots that version.",
    )
    p.add_argument("--version", dest="fw_version", default=DEFAULT_VERSION,
                   help=f"MicroPython version in the banner (default {DEFAULT_VERSION})")
    p.add_argument("--build-date", default=None,
                   help="build date in the banner, YYYY-MM-DD (default: that release's date)")
    p.add_argument("--board", default="ESP module", help="board name in the banner")
    p.add_argument("-o", "--output", type=Path, required=True, help="file to write")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        data = make_image(args.fw_version, args.build_date, board=args.board)
    except ValueError as e:
        print(f"hil sim image: {e}", file=sys.stderr)
        return 2
    args.output.write_bytes(data)
    info = find_firmware_info(data)
    print(f"wrote {args.output} ({len(data)} bytes): {info.banner() if info else '?'}")
    return 0
