"""`hil flash --port P IMAGE`: the plugin's flashing, outside pytest.

Same checks (the image before anything touches the board, then the chip),
same --flash auto|always|never, a progress bar on a terminal. Exit 0 when the
board runs the image, 3 when the bench is broken (hil.cli maps BenchError).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hil.flash.flasher import DEFAULT_FLASH_BAUD, MODES, SAFE_FLASH_BAUD, flash_firmware
from hil.flash.image_check import check_image
from hil.progress import progress_bar
from hil.transport.cli import add_port_argument


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "flash",
        help="write a MicroPython image to the board (only if it differs, by default)",
        description="Check IMAGE (an ESP8266 MicroPython .bin) and the chip, then write it at "
        "0x0 as --flash says: auto writes only when the board's flash differs (MD5 compare), "
        "always writes, never only checks. The board restarts into the image. Exit status: "
        "0 done, 3 the bench is broken (port, chip, image refused, flashing failed).",
    )
    add_port_argument(p)
    p.add_argument("image", type=Path, metavar="IMAGE", help="the MicroPython image (.bin)")
    p.add_argument("--flash", choices=MODES, default="auto",
                   help="auto (default): write only if it differs; always; never")
    p.add_argument("--baud", type=int, default=115200,
                   help="the REPL's baud, to ask a running MicroPython first (default 115200)")
    p.add_argument("--flash-baud", type=int, default=DEFAULT_FLASH_BAUD, metavar="BAUD",
                   help=f"baud while writing (default {DEFAULT_FLASH_BAUD}); when it fails, "
                        f"once more at {SAFE_FLASH_BAUD}")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not args.image.is_file():
        print(f"hil flash: error: {args.image} does not exist; pass the MicroPython image, e.g. "
              f"ESP8266_GENERIC-v1.24.1.bin from https://micropython.org/download/ESP8266_GENERIC/",
              file=sys.stderr)
        return 2
    info = check_image(args.image)  # ImageError (exit 3) before the port is opened
    with progress_bar(f"writing {info.path.name}") as progress:
        result = flash_firmware(args.port, info.path, mode=args.flash, repl_baud=args.baud,
                                flash_baud=args.flash_baud, progress=progress)
    verb = "written" if result.written else "not written"
    print(f"{verb}: {result.reason}")
    for note in result.notes:
        print(f"note: {note}")
    print(f"board: {result.chip}, MAC {result.mac}; image {info.path.name} "
          f"(MicroPython {info.version or '?'}, sha256 {info.sha256})")
    return 0
