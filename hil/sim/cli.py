"""`hil sim`: start a virtual ESP8266 bench (placeholder until the twin lands)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sim", help="run a virtual ESP8266 bench")
    p.set_defaults(handler=lambda args: 2)
