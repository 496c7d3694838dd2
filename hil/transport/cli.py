"""`hil ports`: the serial ports, the ESP8266 boards' USB adapters first."""

from __future__ import annotations

import argparse
import json

from hil.transport.discovery import ADAPTERS, list_ports


def add_port_argument(parser: argparse.ArgumentParser) -> None:
    """The required --port of a command that talks to one board (hil flash, hil deploy):
    the forms open_port (hil/transport/port.py) accepts."""
    parser.add_argument("--port", required=True, metavar="PORT",
                        help="device path, rfc2217://HOST:PORT, socket://HOST:PORT, auto or "
                             "id:SERIAL")


def register(sub: argparse._SubParsersAction) -> None:
    known = ", ".join(f"{chip} {vid:04X}:{pid:04X}" for (vid, pid), chip in ADAPTERS.items())
    p = sub.add_parser(
        "ports",
        help="list the serial ports where a board may be (for --port)",
        description=f"List the USB serial adapters ESP8266 boards carry ({known}) with "
        "VID:PID, USB serial number, USB location and the stable /dev/serial/by-id/ name; "
        "--all adds the other serial ports. Use one with --port PATH, --port id:SERIAL, or "
        "--port auto when there is exactly one.",
    )
    p.add_argument("--all", action="store_true", help="also the ports that are not such adapters")
    p.add_argument("--json", action="store_true", help="one JSON list of ports")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    entries = list_ports()
    shown = entries if args.all else [e for e in entries if e.candidate]
    if args.json:
        print(json.dumps([e.to_json() for e in shown], indent=2))
        return 0
    for e in shown:
        print(e.line())
    if not any(e.candidate for e in entries):
        others = ", ".join(e.device for e in entries if not e.candidate) or "none"
        print(f"no USB serial adapter of an ESP8266 board found (other serial ports: {others}); "
              f"plug the board in with a data cable")
    return 0
