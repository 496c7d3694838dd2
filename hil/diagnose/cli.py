"""`hil diagnose` (placeholder until the diagnosis lands)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("diagnose", help="tell a dead button from a broken breadboard rail")
    p.set_defaults(handler=lambda args: 2)
